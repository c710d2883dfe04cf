"""How many AWS calls may be in flight: in all, and in one account and Region (no imports: the CLI's
defaults read these without loading botocore)."""

# Calls in flight at once. Each waits on the network far longer than its CPU (about 2 ms of botocore and
# our own), so 32 overlap the waits without one process's CPU becoming the bottleneck.
DEFAULT_MAX_WORKERS = 32
# Calls in flight in one account and Region: Bedrock's and RAM's control-plane quotas are per account and
# Region (a few requests per second for many List operations), so a scope's reads never take every worker.
MAX_CALLS_PER_SCOPE = 4
