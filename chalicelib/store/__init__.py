"""DynamoDB through PynamoDB: the models are the source of truth for every table."""
