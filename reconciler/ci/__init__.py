"""The steps the GitHub Actions workflows run (plan on pull requests, apply on merge, drift, fork notice).

The workflows stay thin: each step is one `bedrock-gitops ci ...` command, tested locally against the
sandbox and a local stand-in for the GitHub API.
"""
