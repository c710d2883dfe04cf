"""The AWS edge: the only package (with the sandbox) that talks to AWS through boto3.

- `clients`: `AwsClients`, boto3 clients for (service, account, Region) with assumed-role credentials,
  retries and API call counts; `acting_as`: one client per (service, Region) signing as each account.
- `limits`: calls in flight, in all and per account-Region.
- `discovery`: `discover` (live state of every scope, read in parallel) and `read_tags`.
- `listing`: the paginated list calls discovery makes in one scope; `conversions`: their responses as the
  dataclasses of `reconciler.core.live`.
"""
