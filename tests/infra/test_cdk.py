"""The CDK app, synthesized offline: the tables and topics are the ones the local stack creates
(both from the PynamoDB models), every grant is scoped, failures have somewhere to go and an
alarm, the template is cfn-lint clean, and the code asset is compiled and holds no tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from infra import native
from infra.cdk.functions import FUNCTIONS, SCHEDULED, STREAM_HANDLERS
from infra.cdk.grants import READINESS_ACCOUNT_READS

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cdk.out")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SHAREDWATCH_", "CDK_"))}
    env.update(SHAREDWATCH_STAGE="dev", CDK_OUTDIR=str(out), AWS_DEFAULT_REGION="us-east-1")
    done = subprocess.run(
        [sys.executable, "-m", "infra.cdk"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def doc(synthesized: Path) -> dict[str, Any]:
    return dict(json.loads((synthesized / "sharedwatch-dev.template.json").read_text()))


@pytest.fixture(scope="module")
def template(doc: dict[str, Any]) -> Template:
    return Template.from_json(doc)


def _resources(doc: dict[str, Any], kind: str) -> dict[str, Any]:
    return {k: v for k, v in doc["Resources"].items() if v["Type"] == kind}


def _local_tables() -> dict[str, dict[str, Any]]:
    """What the local stack creates (store/tables.py), described by DynamoDB (moto)."""
    code = (
        "import json, boto3; from moto import mock_aws\n"
        "with mock_aws():\n"
        "    from chalicelib.store.tables import ensure_tables\n"
        "    client = boto3.client('dynamodb', region_name='us-east-1')\n"
        "    out = {}\n"
        "    for name in ensure_tables():\n"
        "        t = client.describe_table(TableName=name)['Table']\n"
        "        ttl = client.describe_time_to_live(TableName=name)['TimeToLiveDescription']\n"
        "        indexes = t.get('GlobalSecondaryIndexes', [])\n"
        "        gsi = sorted([g['IndexName'], json.dumps(g['KeySchema'])] for g in indexes)\n"
        "        stream = t.get('StreamSpecification', {}).get('StreamViewType')\n"
        "        out[name] = {'keys': t['KeySchema'], 'gsi': gsi, 'stream': stream, 'ttl': ttl.get('AttributeName')}\n"
        "    print(json.dumps(out))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SHAREDWATCH_"))}
    env.update(
        SHAREDWATCH_STAGE="dev", AWS_DEFAULT_REGION="us-east-1", AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_the_template_and_the_local_stack_create_the_same_tables(doc: dict[str, Any]) -> None:
    deployed = {}
    for resource in _resources(doc, "AWS::DynamoDB::Table").values():
        p = resource["Properties"]
        assert p["BillingMode"] == "PAY_PER_REQUEST"
        assert p["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
        deployed[p["TableName"]] = {
            "keys": p["KeySchema"],
            "gsi": sorted([g["IndexName"], json.dumps(g["KeySchema"])] for g in p.get("GlobalSecondaryIndexes", [])),
            "stream": p.get("StreamSpecification", {}).get("StreamViewType"),
            "ttl": p.get("TimeToLiveSpecification", {}).get("AttributeName"),
        }
    local = _local_tables()
    assert sorted(deployed) == sorted(local)
    for name, spec in local.items():
        assert deployed[name] == spec, name
    assert deployed["sharedwatch-dev-mentions"]["stream"] == "NEW_IMAGE"


def test_the_topics_the_app_expects_exist(doc: dict[str, Any]) -> None:
    from chalicelib.store.models import TOPIC_SUFFIXES

    names = {t["Properties"]["TopicName"] for t in _resources(doc, "AWS::SNS::Topic").values()}
    assert {f"sharedwatch-dev-{s}" for s in TOPIC_SUFFIXES} <= names
    assert "sharedwatch-dev-alarms" in names


def test_mail_to_people_goes_through_a_configuration_set_whose_bounces_reach_the_handler(doc: dict[str, Any]) -> None:
    [configuration_set] = _resources(doc, "AWS::SES::ConfigurationSet").values()
    assert configuration_set["Properties"]["Name"] == "sharedwatch-dev-reach"
    [destination] = _resources(doc, "AWS::SES::ConfigurationSetEventDestination").values()
    events = destination["Properties"]["EventDestination"]
    assert sorted(events["MatchingEventTypes"]) == ["bounce", "complaint"] and "SnsDestination" in events
    functions = _resources(doc, "AWS::Serverless::Function").values()
    assert all(
        f["Properties"]["Environment"]["Variables"]["SHAREDWATCH_SES_CONFIGURATION_SET"] == "sharedwatch-dev-reach"
        for f in functions
    )


def test_the_functions_read_the_real_streams_and_failures_go_to_the_dead_letter_queue(template: Template) -> None:
    for function in STREAM_HANDLERS.values():
        template.has_resource(
            "AWS::Serverless::Function",
            Match.object_like(
                {
                    "Properties": Match.object_like(
                        {
                            "Events": {
                                f"{function}DynamodbEventSource": Match.object_like(
                                    {
                                        "Properties": Match.object_like(
                                            {
                                                "Stream": {
                                                    "Fn::GetAtt": [Match.string_like_regexp("Table"), "StreamArn"]
                                                },
                                                "BisectBatchOnFunctionError": True,
                                                "FunctionResponseTypes": ["ReportBatchItemFailures"],
                                                "DestinationConfig": {"OnFailure": Match.object_like({"Type": "SQS"})},
                                            }
                                        )
                                    }
                                )
                            }
                        }
                    )
                }
            ),
        )


def test_every_function_has_error_and_throttle_alarms_and_the_streams_an_age_alarm(doc: dict[str, Any]) -> None:
    alarms = _resources(doc, "AWS::CloudWatch::Alarm").values()
    by_metric: dict[str, int] = {}
    for alarm in alarms:
        p = alarm["Properties"]
        by_metric[p["MetricName"]] = by_metric.get(p["MetricName"], 0) + 1
        assert p["AlarmActions"], p
    assert by_metric["Errors"] == by_metric["Throttles"] == len(FUNCTIONS)
    assert by_metric["IteratorAge"] == len(STREAM_HANDLERS)
    assert by_metric["ApproximateNumberOfMessagesVisible"] == 1
    functions = _resources(doc, "AWS::Serverless::Function")
    for name in SCHEDULED:
        assert functions[name]["Properties"]["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]["Type"] == "SQS"


# Actions the Service Authorization Reference lists with no resource type: "*" is all IAM takes.
NO_RESOURCE_TYPE = ("comprehend:DetectSentiment", "translate:TranslateText", *READINESS_ACCOUNT_READS)


def test_every_grant_names_its_resources(doc: dict[str, Any]) -> None:
    """No `*` resource in any IAM policy (KMS key policies say `*` for "this key" by design),
    but for the actions that have no resource type to name."""
    statements = []
    for kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        for resource in _resources(doc, kind).values():
            statements += resource["Properties"]["PolicyDocument"]["Statement"]
    for role in _resources(doc, "AWS::IAM::Role").values():
        for policy in role["Properties"].get("Policies", []):
            statements += policy["PolicyDocument"]["Statement"]
    assert statements
    for statement in statements:
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if set(actions) <= set(NO_RESOURCE_TYPE):
            continue
        if statement.get("Sid") == "PeopleSms" and actions == ["sns:Publish"]:
            continue  # an SMS to a phone number (docs/reach.md): a number has no ARN to name
        assert "*" not in resources, statement
    text = json.dumps(statements)
    assert "parameter/sharedwatch/dev/*" in text and ":sharedwatch-dev-*" in text
    functions = _resources(doc, "AWS::Serverless::Function").values()
    assert all(f["Properties"]["Role"] == {"Fn::GetAtt": ["FunctionRole111A5701", "Arn"]} for f in functions)


def test_mail_to_reports_is_stored_encrypted_and_announced_to_the_handler(template: Template) -> None:
    template.has_resource_properties(
        "AWS::SES::ReceiptRule",
        {
            "Rule": Match.object_like(
                {
                    "Recipients": ["reports@example.com"],
                    "ScanEnabled": True,
                    "Actions": [
                        {
                            "S3Action": Match.object_like(
                                {
                                    "ObjectKeyPrefix": "inbound/",
                                    "TopicArn": Match.any_value(),
                                    "KmsKeyArn": Match.any_value(),
                                }
                            )
                        }
                    ],
                }
            )
        },
    )
    template.has_resource_properties(
        "AWS::S3::Bucket",
        {"LifecycleConfiguration": {"Rules": [Match.object_like({"ExpirationInDays": 90})]}},
    )


def test_the_api_is_throttled(template: Template) -> None:
    template.has_resource_properties(
        "AWS::Serverless::Api",
        {"MethodSettings": [Match.object_like({"ThrottlingRateLimit": 50, "ThrottlingBurstLimit": 100})]},
    )


def test_people_sign_in_through_a_cognito_pool_the_company_federates_into(template: Template) -> None:
    template.has_resource_properties(
        "AWS::Cognito::UserPool", {"AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True}}
    )
    template.has_resource_properties(
        "AWS::Cognito::UserPoolClient",
        {
            "GenerateSecret": True,
            "AllowedOAuthFlows": ["code"],
            "AllowedOAuthScopes": Match.array_with(["openid", "email"]),
            "CallbackURLs": ["https://sharedwatch-dev.example.com/signin/oidc/callback"],
        },
    )
    template.has_resource_properties(
        "AWS::Serverless::Function",
        {
            "Environment": {
                "Variables": Match.object_like(
                    {"SHAREDWATCH_OIDC_ISSUER": Match.any_value(), "SHAREDWATCH_OIDC_CLIENT_ID": Match.any_value()}
                )
            }
        },
    )


def test_the_dark_site_is_a_private_bucket_served_only_through_cloudfront(template: Template) -> None:
    template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "BucketName": Match.string_like_regexp("dark-site"),
            "PublicAccessBlockConfiguration": Match.object_like({"BlockPublicPolicy": True}),
            "VersioningConfiguration": {"Status": "Enabled"},
        },
    )
    template.resource_count_is("AWS::CloudFront::OriginAccessControl", 1)
    template.has_resource_properties(
        "AWS::CloudFront::Distribution",
        {
            "DistributionConfig": Match.object_like(
                {
                    "DefaultRootObject": "index.html",
                    "DefaultCacheBehavior": Match.object_like({"ViewerProtocolPolicy": "redirect-to-https"}),
                }
            )
        },
    )
    template.has_resource_properties(
        "AWS::Serverless::Function",
        {"Environment": {"Variables": Match.object_like({"SHAREDWATCH_DARK_SITE_BUCKET": Match.any_value()})}},
    )


def test_the_template_is_cfn_lint_clean(synthesized: Path) -> None:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), str(synthesized / "sharedwatch-dev.template.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_code_asset_is_compiled_and_holds_nothing_but_the_app(synthesized: Path) -> None:
    [asset] = list(synthesized.glob("asset.*.zip"))
    names = zipfile.ZipFile(asset).namelist()
    assert "app.py" in names and "chalicelib/flows/router.py" in names
    assert any(n.startswith("chalicelib/__pycache__/") and n.endswith(".pyc") for n in names)
    assert not [n for n in names if n.startswith(("tests/", "infra/", "bench/", ".chalice/", ".local/"))]


def test_other_languages_are_scored_by_comprehend_on_aws(doc: dict[str, Any]) -> None:
    from chalicelib.comprehend import LANGUAGES

    functions = _resources(doc, "AWS::Serverless::Function").values()
    env = [f["Properties"].get("Environment", {}).get("Variables", {}) for f in functions]
    assert env and all(e.get("SHAREDWATCH_COMPREHEND_LANGUAGES") == ",".join(LANGUAGES) for e in env)
    assert "en" not in LANGUAGES  # VADER reads English
    statements = [
        s
        for kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")  # CDK moves what overflows into the latter
        for policy in _resources(doc, kind).values()
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    assert any(s["Action"] == "comprehend:DetectSentiment" for s in statements)


def test_foreign_mentions_are_translated_on_aws_within_a_daily_allowance(doc: dict[str, Any]) -> None:
    functions = _resources(doc, "AWS::Serverless::Function").values()
    env = [f["Properties"].get("Environment", {}).get("Variables", {}) for f in functions]
    assert env and all(int(e.get("SHAREDWATCH_TRANSLATE_DAILY_CHARACTERS", "0")) > 0 for e in env)
    statements = [  # a policy past IAM's size limit overflows into managed ones
        s
        for kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
        for policy in _resources(doc, kind).values()
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    actions = [a for s in statements for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])]
    assert "translate:TranslateText" in actions


def test_every_function_runs_python_3_13_on_x86_64(doc: dict[str, Any]) -> None:
    functions = _resources(doc, "AWS::Serverless::Function")
    assert sorted(functions) == sorted(FUNCTIONS)
    for name, function in functions.items():
        p = function["Properties"]
        assert (p["Runtime"], p["Architectures"]) == ("python3.13", ["x86_64"]), name
    assert native.RUNTIME.name == "python3.13"


def test_the_code_asset_carries_triage_compiled_for_python_3_13_on_x86_64(synthesized: Path) -> None:
    [asset] = list(synthesized.glob("asset.*.zip"))
    if not native.built():
        pytest.skip("triage is not compiled here (no C compiler): the asset carries plain Python")
    assert native.check(asset) == []
    assert any(n.endswith(".cpython-313-x86_64-linux-gnu.so") for n in zipfile.ZipFile(asset).namelist())


def test_the_readiness_check_may_read_what_it_asks_and_the_api_url_is_an_output(doc: dict[str, Any]) -> None:
    statements = [
        s
        for kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")  # a long role policy overflows into these
        for policy in _resources(doc, kind).values()
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    actions = {a for s in statements for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])}
    assert {
        "ses:GetEmailIdentity",
        "cloudwatch:DescribeAlarms",
        "ssm:GetParameters",
        "sns:ListSubscriptionsByTopic",
        *READINESS_ACCOUNT_READS,
    } <= actions
    names = [a["Properties"]["AlarmName"] for a in _resources(doc, "AWS::CloudWatch::Alarm").values()]
    assert names and all(n.startswith("sharedwatch-dev-") for n in names)  # where the check lists them
    assert "EndpointURL" in doc["Outputs"]  # make smoke finds the API here


def test_synthesizing_on_another_python_is_refused_with_how_to_get_3_13() -> None:
    found = sorted(Path.home().glob(".pyenv/versions/3.11.*/bin/python3.11"))
    if not found:
        pytest.skip("no Python 3.11 here to try")
    other = str(found[-1])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SHAREDWATCH_", "CDK_", "PYTHON"))}
    done = subprocess.run([other, "-m", "infra.cdk"], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert "this is Python 3.11" in done.stderr and "Lambda's python3.13" in done.stderr, done.stderr


def test_api_gateways_own_errors_are_problems_and_a_path_no_route_has_is_a_404(doc: dict[str, Any]) -> None:
    [api] = _resources(doc, "AWS::Serverless::Api").values()
    responses = api["Properties"]["DefinitionBody"]["x-amazon-apigateway-gateway-responses"]
    assert {"MISSING_AUTHENTICATION_TOKEN", "UNSUPPORTED_MEDIA_TYPE", "THROTTLED", "DEFAULT_4XX", "DEFAULT_5XX"} <= set(
        responses
    )
    assert responses["MISSING_AUTHENTICATION_TOKEN"]["statusCode"] == "404"
    for kind, answer in responses.items():
        headers = answer["responseParameters"]
        assert headers["gatewayresponse.header.Content-Type"] == "'application/problem+json'", kind
        # What API Gateway substitutes: the error's message as a JSON string, the request id.
        template = answer["responseTemplates"]["application/json"]
        body = json.loads(
            template.replace("$context.error.messageString", '"Missing Authentication Token"').replace(
                "$context.requestId", "req-1"
            )
        )
        assert body["type"].startswith("https://sharedwatch.dev/problems/") and body["title"] and body["detail"], kind
        assert body["status"] == int(answer["statusCode"]), kind
    assert "Authentication Token" not in json.dumps(responses["MISSING_AUTHENTICATION_TOKEN"])
