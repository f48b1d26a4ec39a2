import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/**
 * The one place alarms are made: each fires on the first bad datapoint (a stuck queue or a failing
 * responder is worth a page) and tells the on-call topic, which also carries the findings.
 */
export class CredtrailAlarms extends Construct {
  private readonly action: actions.SnsAction;

  constructor(scope: Construct, id: string, topic: sns.ITopic) {
    super(scope, id);
    this.action = new actions.SnsAction(topic);
  }

  /** Anything in a dead-letter queue is an event credtrail failed to handle. */
  deadLetters(id: string, queue: sqs.IQueue, what: string): cloudwatch.Alarm {
    return this.alarm(
      id,
      queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      {
        description: `credtrail: ${what} is not empty. Read the messages, fix the cause, redrive them.`,
      },
    );
  }

  functionErrors(id: string, fn: lambda.IFunction, what: string): cloudwatch.Alarm {
    return this.alarm(id, fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }), {
      description: `credtrail: the ${what} Lambda failed. Check its log group.`,
    });
  }

  /**
   * Counts events a (target-less) rule matched, e.g. failed responder steps. A rule on a custom bus
   * reports MatchedEvents with both EventBusName and RuleName; RuleName alone is the default bus
   * (EventBridge User Guide, "Monitoring Amazon EventBridge"), so a metric missing the bus never moves.
   */
  ruleMatches(id: string, rule: events.Rule, what: string): cloudwatch.Alarm {
    const eventBusName = (rule.node.defaultChild as events.CfnRule).eventBusName;
    const metric = new cloudwatch.Metric({
      namespace: 'AWS/Events',
      metricName: 'MatchedEvents',
      dimensionsMap: {
        ...(eventBusName === undefined ? {} : { EventBusName: eventBusName }),
        RuleName: rule.ruleName,
      },
      period: Duration.minutes(5),
      statistic: 'Sum',
    });
    return this.alarm(id, metric, { description: `credtrail: ${what}.` });
  }

  /** A custom metric the detector emits (Powertools: namespace `credtrail`, dimension `service`). */
  detectorMetric(id: string, metricName: string, description: string): cloudwatch.Alarm {
    const metric = new cloudwatch.Metric({
      namespace: 'credtrail',
      metricName,
      dimensionsMap: { service: 'credtrail-detector' },
      period: Duration.minutes(5),
      statistic: 'Maximum',
    });
    return this.alarm(id, metric, { description: `credtrail: ${description}` });
  }

  private alarm(id: string, metric: cloudwatch.IMetric, props: { description: string }): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      metric,
      alarmDescription: props.description,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(this.action);
    return alarm;
  }
}
