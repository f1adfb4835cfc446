"""The stack's alarms, each to the alarm topic (the readiness check lists them by the stage's prefix)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions

from infra.cdk.functions import FUNCTIONS, STREAM_HANDLERS

if TYPE_CHECKING:
    from infra.cdk.stack import SharedwatchStack


def add_alarms(stack: SharedwatchStack) -> None:
    """Errors and throttles of every function, the stream handlers' iterator age and the
    dead-letter depth, each to the alarm topic, named under the stage's prefix."""
    action = cw_actions.SnsAction(stack.alarm_topic)
    for function in FUNCTIONS:
        name = stack.app.get_resource(function).ref
        for metric, threshold in (("Errors", 1), ("Throttles", 1)):
            alarm = cloudwatch.Alarm(
                stack,
                f"{function}{metric}",
                # named under the stage's prefix, where the readiness check lists them
                alarm_name=f"{stack.config.prefix}{function}-{metric}",
                metric=cloudwatch.Metric(
                    namespace="AWS/Lambda",
                    metric_name=metric,
                    dimensions_map={"FunctionName": name},
                    statistic="Sum",
                    period=cdk.Duration.minutes(5),
                ),
                threshold=threshold,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                alarm_description=f"sharedwatch {stack.config.stage}: {function} {metric.lower()}",
            )
            alarm.add_alarm_action(action)
    for function in STREAM_HANDLERS.values():
        age = cloudwatch.Alarm(
            stack,
            f"{function}IteratorAge",
            alarm_name=f"{stack.config.prefix}{function}-IteratorAge",
            metric=cloudwatch.Metric(
                namespace="AWS/Lambda",
                metric_name="IteratorAge",
                dimensions_map={"FunctionName": stack.app.get_resource(function).ref},
                statistic="Maximum",
                period=cdk.Duration.minutes(1),
            ),
            threshold=60_000,  # a minute behind: notifications are late
            evaluation_periods=3,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=f"sharedwatch {stack.config.stage}: {function} is falling behind its stream",
        )
        age.add_alarm_action(action)
    depth = cloudwatch.Alarm(
        stack,
        "DeadLetterDepth",
        alarm_name=f"{stack.config.prefix}DeadLetterDepth",
        metric=stack.dead_letters.metric_approximate_number_of_messages_visible(period=cdk.Duration.minutes(1)),
        threshold=1,
        evaluation_periods=1,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        alarm_description=f"sharedwatch {stack.config.stage}: something failed for good; see the dead-letter queue",
    )
    depth.add_alarm_action(action)
