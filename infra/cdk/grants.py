"""The functions' role, least privilege: every grant names its resources, and the few actions IAM
takes only on "*" say why where they stand (tests/infra/test_cdk.py checks both)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms

if TYPE_CHECKING:
    from infra.cdk.stack import SharedwatchStack

from infra.cdk.functions import STREAM_HANDLERS

# The readiness check's account-wide reads: the Service Authorization Reference lists no
# resource type for any of them.
READINESS_ACCOUNT_READS = (
    "ses:GetAccount",
    "ses:DescribeActiveReceiptRuleSet",
    "ses:GetSendQuota",
    "sns:GetSMSSandboxAccountStatus",
    "sns:ListSMSSandboxPhoneNumbers",
    "sns:GetSMSAttributes",
    "sns:ListOriginationNumbers",
)


def function_role(stack: SharedwatchStack, key: kms.Key) -> iam.Role:
    """The one role every function runs as: each table, topic, bucket, key and parameter it uses, by name."""
    c = stack.config
    role = iam.Role(
        stack,
        "FunctionRole",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description="sharedwatch functions: exactly the tables, topics, buckets and parameters they use",
    )
    for table in stack.tables.values():
        table.grant_read_write_data(role)
    # What the stream event source mappings need, on the two streams only (grant_stream_read
    # would add dynamodb:ListStreams on "*").
    role.add_to_policy(
        iam.PolicyStatement(
            sid="Streams",
            actions=[
                "dynamodb:DescribeStream",
                "dynamodb:GetRecords",
                "dynamodb:GetShardIterator",
                "dynamodb:ListStreams",
            ],
            resources=[stack.tables[suffix].table_stream_arn or "" for suffix in STREAM_HANDLERS],
        )
    )
    topics = f"arn:{stack.partition}:sns:{stack.region}:{stack.account}:{c.prefix}*"
    role.add_to_policy(
        iam.PolicyStatement(
            sid="StakeholderTopics",
            actions=[
                "sns:Publish",
                "sns:CreateTopic",
                "sns:TagResource",
                "sns:Subscribe",
                "sns:Unsubscribe",
                "sns:ListSubscriptionsByTopic",
                "sns:GetSubscriptionAttributes",
                "sns:SetSubscriptionAttributes",
            ],
            resources=[topics],
        )
    )
    parameters = f"arn:{stack.partition}:ssm:{stack.region}:{stack.account}:parameter/sharedwatch/{c.stage}/*"
    role.add_to_policy(iam.PolicyStatement(sid="Parameters", actions=["ssm:GetParameter"], resources=[parameters]))
    role.add_to_policy(
        iam.PolicyStatement(
            sid="DisplayTokens",
            actions=["ssm:PutParameter"],
            resources=[
                f"arn:{stack.partition}:ssm:{stack.region}:{stack.account}:parameter/sharedwatch/{c.stage}/display_token"
            ],
        )
    )
    ses_arn = f"arn:{stack.partition}:ses:{stack.region}:{stack.account}"
    role.add_to_policy(
        iam.PolicyStatement(
            sid="Mail",  # reporters' receipts one by one; briefs to people in bulk, templated
            actions=["ses:SendEmail", "ses:SendBulkTemplatedEmail", "ses:CreateTemplate"],
            resources=[
                *(f"{ses_arn}:identity/{d}" for d in c.company_domains),
                f"{ses_arn}:configuration-set/{c.prefix}reach",
                f"{ses_arn}:template/{c.prefix}reach-*",
            ],
        )
    )
    role.add_to_policy(
        iam.PolicyStatement(
            sid="PeopleSms",
            # SMS to a phone number: the number has no ARN, so IAM takes only "*" for it.
            actions=["sns:Publish"],
            resources=["*"],
        )
    )
    _readiness(stack, role)
    role.add_to_policy(
        iam.PolicyStatement(
            sid="Sentiment",
            # DetectSentiment has no resource type to name: IAM takes only "*" for it.
            actions=["comprehend:DetectSentiment"],
            resources=["*"],
        )
    )
    role.add_to_policy(
        iam.PolicyStatement(
            sid="Translation",
            # TranslateText names a resource only for a custom terminology (none is used):
            # without one IAM takes only "*".
            actions=["translate:TranslateText"],
            resources=["*"],
        )
    )
    stack.uploads_bucket.grant_read_write(role)
    stack.uploads_bucket.grant_delete(role)
    stack.dark_site_bucket.grant_put(role)
    stack.inbound_bucket.grant_read(role)
    key.grant_decrypt(role)
    stack.chat_key.grant_encrypt_decrypt(role)
    stack.dead_letters.grant_send_messages(role)
    role.add_to_policy(
        iam.PolicyStatement(
            sid="Logs",
            actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[
                f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:log-group:/aws/lambda/{stack.stack_name}-*"
            ],
        )
    )
    return role


def _readiness(stack: SharedwatchStack, role: iam.Role) -> None:
    """What the readiness check reads (flows/readiness.py): read-only, each on what it names
    where the action has a resource type to name."""
    c = stack.config
    region, account, partition = stack.region, stack.account, stack.partition
    role.add_to_policy(
        iam.PolicyStatement(
            sid="ReadinessIdentities",
            actions=["ses:GetEmailIdentity"],
            resources=[
                f"arn:{partition}:ses:{region}:{account}:identity/{name}"
                for d in c.company_domains
                for name in (d, f"*@{d}")
            ],
        )
    )
    role.add_to_policy(
        iam.PolicyStatement(
            sid="ReadinessAlarms",
            actions=["cloudwatch:DescribeAlarms"],
            resources=[f"arn:{partition}:cloudwatch:{region}:{account}:alarm:{c.prefix}*"],
        )
    )
    role.add_to_policy(
        iam.PolicyStatement(
            sid="ReadinessParameters",
            actions=["ssm:GetParameters"],
            resources=[f"arn:{partition}:ssm:{region}:{account}:parameter/sharedwatch/{c.stage}/*"],
        )
    )
    role.add_to_policy(
        iam.PolicyStatement(
            sid="ReadinessAccount",
            # Account-wide reads with no resource type to name: IAM takes only "*" for them.
            actions=list(READINESS_ACCOUNT_READS),
            resources=["*"],
        )
    )
