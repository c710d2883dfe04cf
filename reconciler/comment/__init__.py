"""Pull request comments: a plan (+ policy findings, apply report) rendered as GitHub Markdown."""
