"""Pure triage: no boto3, no Chalice."""
