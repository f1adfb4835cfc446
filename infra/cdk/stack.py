"""sharedwatch on AWS: the Chalice app (through Chalice's CDK construct), its tables (from the
PynamoDB models), topics, the SES receipt rule for the reports address, the buckets and dead-letter
queues. The functions' least-privilege role is infra/cdk/grants.py, their alarms
infra/cdk/alarms.py."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import (
    aws_cloudfront as cloudfront,
)
from aws_cdk import (
    aws_cloudfront_origins as origins,
)
from aws_cdk import (
    aws_cognito as cognito,
)
from aws_cdk import (
    aws_dynamodb as dynamodb,
)
from aws_cdk import (
    aws_iam as iam,
)
from aws_cdk import (
    aws_kms as kms,
)
from aws_cdk import (
    aws_s3 as s3,
)
from aws_cdk import (
    aws_ses as ses,
)
from aws_cdk import (
    aws_ses_actions as ses_actions,
)
from aws_cdk import (
    aws_sns as sns,
)
from aws_cdk import (
    aws_sqs as sqs,
)
from chalice.cdk import Chalice
from constructs import Construct

from chalicelib.api.problems import TYPE_BASE
from chalicelib.comprehend import LANGUAGES as COMPREHEND_LANGUAGES
from chalicelib.i18n import LANGUAGES
from chalicelib.store.schema import Key, TableDef, table_definitions
from infra import native
from infra.cdk.alarms import add_alarms
from infra.cdk.functions import SCHEDULED, STREAM_HANDLERS
from infra.cdk.grants import function_role
from infra.package import add_bytecode

TRANSLATE_DAILY_CHARACTERS = 100_000  # foreign mentions translated a day, in characters

ROOT = Path(__file__).resolve().parents[2]
# API Gateway's own answers (no route at a path, throttling, a body over its limit, a Lambda that
# failed) as problem+json, like every error the app answers: type, status, title. A path no
# route has is a 404 (API Gateway's default is 403 "Missing Authentication Token"); the local
# stack answers the same (infra/local/server.py). Every type is named, so each status is known.
GATEWAY_RESPONSES: dict[str, tuple[int, str, str]] = {
    "MISSING_AUTHENTICATION_TOKEN": (404, "not-found", "Not found"),
    "RESOURCE_NOT_FOUND": (404, "not-found", "Not found"),
    "UNSUPPORTED_MEDIA_TYPE": (415, "unsupported-media-type", "Unsupported media type"),
    "REQUEST_TOO_LARGE": (413, "payload-too-large", "Payload too large"),
    "BAD_REQUEST_BODY": (400, "bad-request", "Bad request"),
    "BAD_REQUEST_PARAMETERS": (400, "bad-request", "Bad request"),
    "UNAUTHORIZED": (401, "unauthorized", "Unauthorized"),
    "ACCESS_DENIED": (403, "forbidden", "Forbidden"),
    "INVALID_API_KEY": (403, "forbidden", "Forbidden"),
    "INVALID_SIGNATURE": (403, "forbidden", "Forbidden"),
    "EXPIRED_TOKEN": (403, "forbidden", "Forbidden"),
    "WAF_FILTERED": (403, "forbidden", "Forbidden"),
    "THROTTLED": (429, "too-many-requests", "Too many requests"),
    "QUOTA_EXCEEDED": (429, "too-many-requests", "Too many requests"),
    "DEFAULT_4XX": (400, "bad-request", "Bad request"),
    "INTEGRATION_FAILURE": (502, "internal", "Internal error"),
    "INTEGRATION_TIMEOUT": (504, "out-of-time", "Service temporarily slow"),
    "API_CONFIGURATION_ERROR": (500, "internal", "Internal error"),
    "AUTHORIZER_CONFIGURATION_ERROR": (500, "internal", "Internal error"),
    "AUTHORIZER_FAILURE": (500, "internal", "Internal error"),
    "DEFAULT_5XX": (500, "internal", "Internal error"),
}


def dark_site_language_code() -> str:
    """The dark site's CloudFront Function, with the shipped languages filled in."""
    source = (Path(__file__).parent / "dark_site_language.js").read_text(encoding="utf-8")
    return source.replace("__LANGUAGES__", json.dumps(list(LANGUAGES)))


class CompiledChalice(Chalice):  # type: ignore[misc]
    """Chalice's construct, with triage's hot modules compiled by mypyc (infra/native.py) and
    compiled bytecode added to the package before it becomes an asset (infra/package.py: cold
    starts import 2-2.6x faster)."""

    def _package_app(self) -> None:
        native.build()
        super()._package_app()
        add_bytecode(Path(self._sam_package_dir) / "deployment.zip")


@dataclass(frozen=True)
class StageConfig:
    stage: str
    company_domains: tuple[str, ...]
    public_base_url: str
    alarm_email: str = ""
    api_rate_limit: int = 50  # requests a second, steady
    api_burst_limit: int = 100

    @property
    def prefix(self) -> str:
        return f"sharedwatch-{self.stage}-"

    @property
    def production(self) -> bool:
        return self.stage == "prod"


def _attribute(key: Key) -> dynamodb.Attribute:
    kinds = {"S": dynamodb.AttributeType.STRING, "N": dynamodb.AttributeType.NUMBER, "B": dynamodb.AttributeType.BINARY}
    return dynamodb.Attribute(name=key.name, type=kinds[key.type])


class SharedwatchStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        removal = cdk.RemovalPolicy.RETAIN if config.production else cdk.RemovalPolicy.DESTROY
        self.tables = {t.suffix: self._table(t, removal) for t in table_definitions()}

        self.alarm_topic = sns.Topic(self, "AlarmTopic", topic_name=f"{config.prefix}alarms")
        self.inbound_topic = sns.Topic(self, "InboundEmailTopic", topic_name=f"{config.prefix}inbound-email")
        # Mail to people goes through this configuration set: its bounces and complaints reach the
        # ses-events handler, which suppresses the address (docs/reach.md).
        self.ses_events_topic = sns.Topic(self, "SesEventsTopic", topic_name=f"{config.prefix}ses-events")
        self.reach_configuration_set = ses.ConfigurationSet(
            self, "ReachConfigurationSet", configuration_set_name=f"{config.prefix}reach"
        )
        self.reach_configuration_set.add_event_destination(
            "BouncesAndComplaints",
            destination=ses.EventDestination.sns_topic(self.ses_events_topic),
            events=[ses.EmailSendingEvent.BOUNCE, ses.EmailSendingEvent.COMPLAINT],
        )
        if config.alarm_email:
            sns.Subscription(
                self,
                "AlarmEmail",
                topic=self.alarm_topic,
                protocol=sns.SubscriptionProtocol.EMAIL,
                endpoint=config.alarm_email,
            )

        key = kms.Key(self, "DataKey", enable_key_rotation=True, removal_policy=removal)
        self.inbound_bucket = s3.Bucket(
            self,
            "InboundMail",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=key,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            lifecycle_rules=[s3.LifecycleRule(expiration=cdk.Duration.days(90))],
            removal_policy=cdk.RemovalPolicy.RETAIN,  # mail is evidence: never deleted with the stack
        )
        self.uploads_bucket = s3.Bucket(
            self,
            "Uploads",
            bucket_name=f"{config.prefix}uploads-{self.account}",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            lifecycle_rules=[
                s3.LifecycleRule(expiration=cdk.Duration.days(365)),
                # A screenshot shared to the app waits here until its report is sent (or a day).
                s3.LifecycleRule(prefix="shared/", expiration=cdk.Duration.days(1)),
            ],
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        self._dark_site()
        self._receipt_rule(key)

        self.dead_letters = sqs.Queue(
            self,
            "DeadLetters",
            queue_name=f"{config.prefix}dead-letters",
            retention_period=cdk.Duration.days(14),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )
        # Seals the Slack bot tokens each workspace install stores (docs/chat.md).
        self.chat_key = kms.Key(self, "ChatTokenKey", enable_key_rotation=True, removal_policy=removal)
        self.role = function_role(self, key)
        self._people()
        self.app = CompiledChalice(self, "App", source_dir=str(ROOT), stage_config=self._stage_config())
        self._wire_events()
        self._gateway_responses()
        add_alarms(self)
        cdk.CfnOutput(self, "ParameterPath", value=f"/sharedwatch/{config.stage}/")
        cdk.CfnOutput(self, "UploadsBucket", value=self.uploads_bucket.bucket_name)
        cdk.CfnOutput(self, "DarkSiteUrl", value=f"https://{self.dark_site.distribution_domain_name}/")

    # -- data ---------------------------------------------------------------------------------

    def _dark_site(self) -> None:
        """The public dark site: approved holding statements as a static page in a private bucket,
        served only through CloudFront (origin access control), HTTPS only."""
        self.dark_site_bucket = s3.Bucket(
            self,
            "DarkSite",
            bucket_name=f"{self.config.prefix}dark-site-{self.account}",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,  # every published update is kept
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        self.dark_site = cloudfront.Distribution(
            self,
            "DarkSiteDistribution",
            comment=f"sharedwatch {self.config.stage} dark site",
            default_root_object="index.html",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.dark_site_bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                response_headers_policy=cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS,
                # The visitor's language: the page in it, by Accept-Language (the cache keys on
                # the rewritten path, so each language's page is cached apart).
                function_associations=[
                    cloudfront.FunctionAssociation(
                        function=cloudfront.Function(
                            self,
                            "DarkSiteLanguage",
                            code=cloudfront.FunctionCode.from_inline(dark_site_language_code()),
                            runtime=cloudfront.FunctionRuntime.JS_2_0,
                            comment="dark site: the page in the visitor's language",
                        ),
                        event_type=cloudfront.FunctionEventType.VIEWER_REQUEST,
                    )
                ],
            ),
        )

    def _table(self, spec: TableDef, removal: cdk.RemovalPolicy) -> dynamodb.Table:
        table = dynamodb.Table(
            self,
            f"Table-{spec.suffix}",
            table_name=f"{self.config.prefix}{spec.suffix}",
            partition_key=_attribute(spec.hash_key),
            sort_key=_attribute(spec.range_key) if spec.range_key else None,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=spec.ttl,
            stream=dynamodb.StreamViewType.NEW_IMAGE if spec.stream == "NEW_IMAGE" else None,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            removal_policy=removal,
        )
        for index in spec.indexes:
            table.add_global_secondary_index(
                index_name=index.name,
                partition_key=_attribute(index.hash_key),
                sort_key=_attribute(index.range_key) if index.range_key else None,
                projection_type=dynamodb.ProjectionType.INCLUDE
                if index.projection == "INCLUDE"
                else dynamodb.ProjectionType.ALL,
                non_key_attributes=list(index.non_key_attributes) or None,
            )
        return table

    def _receipt_rule(self, key: kms.Key) -> None:
        """Mail to reports@: the raw message to the encrypted bucket, a notification to the topic
        the inbound-email handler subscribes to (Chalice cannot package on_s3_event for CDK)."""
        rule_set = ses.ReceiptRuleSet(self, "ReceiptRules", receipt_rule_set_name=f"{self.config.prefix}inbound")
        rule_set.add_rule(
            "Reports",
            recipients=[f"reports@{d}" for d in self.config.company_domains],
            scan_enabled=True,
            tls_policy=ses.TlsPolicy.REQUIRE,
            actions=[
                ses_actions.S3(
                    bucket=self.inbound_bucket, object_key_prefix="inbound/", topic=self.inbound_topic, kms_key=key
                )
            ],
        )

    # -- people -------------------------------------------------------------------------------

    def _people(self) -> None:
        """The Cognito user pool employees sign in through: the company federates its own
        provider into it (OIDC or SAML, docs/people.md), and the app is its OpenID Connect client
        (authorization code with PKCE; the client secret goes in the oidc_client_secret parameter)."""
        c = self.config
        removal = cdk.RemovalPolicy.RETAIN if c.production else cdk.RemovalPolicy.DESTROY
        self.user_pool = cognito.UserPool(
            self,
            "People",
            user_pool_name=f"{c.prefix}people",
            self_sign_up_enabled=False,  # people come from the company's provider, or an admin
            sign_in_aliases=cognito.SignInAliases(email=True),
            standard_attributes=cognito.StandardAttributes(email=cognito.StandardAttribute(required=True)),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            removal_policy=removal,
        )
        self.user_pool.add_domain(
            "SignInDomain",
            cognito_domain=cognito.CognitoDomainOptions(domain_prefix=f"sharedwatch-{c.stage}-{self.account}"),
        )
        self.user_pool_client = self.user_pool.add_client(
            "App",
            user_pool_client_name="sharedwatch",
            generate_secret=True,
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                scopes=[cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
                callback_urls=[f"{c.public_base_url}/signin/oidc/callback"],
            ),
            prevent_user_existence_errors=True,
        )
        cdk.CfnOutput(self, "UserPoolId", value=self.user_pool.user_pool_id)
        cdk.CfnOutput(self, "UserPoolClientId", value=self.user_pool_client.user_pool_client_id)

    # -- the app ------------------------------------------------------------------------------

    def _stage_config(self) -> dict[str, Any]:
        c = self.config
        environment = {
            "SHAREDWATCH_STAGE": c.stage,
            "SHAREDWATCH_RESOURCE_PREFIX": c.prefix,
            "SHAREDWATCH_PARAMETER_PREFIX": f"/sharedwatch/{c.stage}/",
            "SHAREDWATCH_ACCOUNT_ID": self.account,
            "SHAREDWATCH_COMPANY_DOMAINS": ",".join(c.company_domains),
            "SHAREDWATCH_REPORTS_ADDRESS": f"reports@{c.company_domains[0]}",
            "SHAREDWATCH_PUBLIC_BASE_URL": c.public_base_url,
            "SHAREDWATCH_UPLOADS_BUCKET": self.uploads_bucket.bucket_name,
            "SHAREDWATCH_DARK_SITE_BUCKET": self.dark_site_bucket.bucket_name,
            "SHAREDWATCH_MENTIONS_STREAM_ARN": self.tables["mentions"].table_stream_arn or "",
            "SHAREDWATCH_REPORTS_STREAM_ARN": self.tables["reports"].table_stream_arn or "",
            "SHAREDWATCH_OIDC_ISSUER": f"https://cognito-idp.{self.region}.amazonaws.com/{self.user_pool.user_pool_id}",
            "SHAREDWATCH_OIDC_CLIENT_ID": self.user_pool_client.user_pool_client_id,
            "SHAREDWATCH_COMPREHEND_LANGUAGES": ",".join(COMPREHEND_LANGUAGES),
            # Foreign mentions translated on demand, at most this many characters a day
            # (TranslateText bills by the character: about $1.50 a day at most).
            "SHAREDWATCH_TRANSLATE_DAILY_CHARACTERS": str(TRANSLATE_DAILY_CHARACTERS),
            "SHAREDWATCH_CHAT_KMS_KEY_ID": self.chat_key.key_arn,
            "SHAREDWATCH_SES_CONFIGURATION_SET": f"{c.prefix}reach",
            "POWERTOOLS_SERVICE_NAME": "sharedwatch",
            "POWERTOOLS_METRICS_NAMESPACE": "sharedwatch",
            "POWERTOOLS_LOG_LEVEL": "INFO",
        }
        return {
            "api_gateway_stage": "api",
            "manage_iam_role": False,
            "iam_role_arn": self.role.role_arn,
            "autogen_policy": False,
            "environment_variables": environment,
            # x86_64: the compiled triage is built on the machine that packages (infra/native.py)
            "lambda_architecture": native.RUNTIME.architecture,
            "lambda_memory_size": 512,
            "lambda_timeout": 60,
        }

    def _wire_events(self) -> None:
        """What `chalice package` cannot know: the real stream ARNs, failure destinations,
        retries, and the API's throttling."""
        for suffix, function in STREAM_HANDLERS.items():
            resource = self.app.get_resource(function)
            events = f"Events.{function}DynamodbEventSource.Properties"
            resource.add_property_override(f"{events}.Stream", self.tables[suffix].table_stream_arn)
            resource.add_property_override(f"{events}.MaximumRetryAttempts", 8)
            resource.add_property_override(f"{events}.BisectBatchOnFunctionError", True)
            # The handler names the records that failed alone (handlers/stream.py).
            resource.add_property_override(f"{events}.FunctionResponseTypes", ["ReportBatchItemFailures"])
            resource.add_property_override(
                f"{events}.DestinationConfig",
                {"OnFailure": {"Type": "SQS", "Destination": self.dead_letters.queue_arn}},
            )
        for function in (*SCHEDULED, "OnInboundEmail", "OnSesEvent"):
            self.app.get_resource(function).add_property_override(
                "EventInvokeConfig",
                {
                    "MaximumRetryAttempts": 2,
                    "DestinationConfig": {"OnFailure": {"Type": "SQS", "Destination": self.dead_letters.queue_arn}},
                },
            )
        for function in ("OnInboundEmail", "OnSesEvent"):
            self.app.get_resource(function).add_property_override(
                f"Events.{function}SnsSubscription.Properties.RedrivePolicy",
                {"deadLetterTargetArn": self.dead_letters.queue_arn},
            )
        self.dead_letters.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("sns.amazonaws.com")],
                actions=["sqs:SendMessage"],
                resources=[self.dead_letters.queue_arn],
                conditions={
                    "ArnEquals": {"aws:SourceArn": [self.inbound_topic.topic_arn, self.ses_events_topic.topic_arn]}
                },
            )
        )
        self.app.get_resource("RestAPI").add_property_override(
            "MethodSettings",
            [
                {
                    "ResourcePath": "/*",
                    "HttpMethod": "*",
                    "ThrottlingRateLimit": self.config.api_rate_limit,
                    "ThrottlingBurstLimit": self.config.api_burst_limit,
                    "MetricsEnabled": True,
                }
            ],
        )

    def _gateway_responses(self) -> None:
        """API Gateway's own errors as problems, in the API's definition (so a change deploys)."""
        responses: dict[str, Any] = {}
        for kind, (status, slug, title) in GATEWAY_RESPONSES.items():
            detail = (
                '"no route at this path: the routes are listed at /openapi.json"'
                if status == 404
                else "$context.error.messageString"  # a JSON string already
            )
            body = (
                f'{{"type": "{TYPE_BASE}{slug}", "title": "{title}", "status": {status}, '
                f'"detail": {detail}, "request_id": "$context.requestId"}}'
            )
            headers = {"Content-Type": "'application/problem+json'", "Cache-Control": "'no-store'"}
            if status in (429, 504):
                headers["Retry-After"] = "'1'" if status == 429 else "'30'"
            responses[kind] = {
                "statusCode": str(status),
                "responseParameters": {f"gatewayresponse.header.{k}": v for k, v in headers.items()},
                "responseTemplates": {"application/json": body},
            }
        self.app.get_resource("RestAPI").add_property_override(
            "DefinitionBody.x-amazon-apigateway-gateway-responses", responses
        )
