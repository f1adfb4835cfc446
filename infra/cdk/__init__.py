"""The AWS CDK app that deploys sharedwatch (`make synth`, `make deploy STAGE=dev`)."""
