"""The sandbox: an embedded, simulated multi-account, multi-Region AWS estate.

Real boto3 clients talk to it: moto answers the services it implements (STS, Organizations, ...), and our
own simulation (this package) answers the Bedrock and RAM operations moto lacks, from a `before-send`
hook, i.e. after botocore has serialised and signed the real HTTP request, and botocore parses our HTTP
response with its real parser.
"""
