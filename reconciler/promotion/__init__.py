"""Promotion (pure): which new custom models are versions of a Model (`versions discover`), the edits that
add a version or promote one (comment-preserving, `yaml_edit.py`), and the stages of each model with the
versions eligible next (`status`). The I/O lives in reconciler/aws/custom_models.py and the commands."""
