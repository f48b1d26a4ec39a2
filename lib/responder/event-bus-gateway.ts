import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  RESPONSE_SOURCE,
  ResponseDetailType,
  type ResponseFailedDetail,
  type ResponsePlanDetail,
  type ResponseStepResultDetail,
} from '../contracts/response-event';

export class PublishError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PublishError';
  }
}

/** Publishes the responder's events to the credtrail bus. */
export class EventBusGateway {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}

  async publishPlan(detail: ResponsePlanDetail): Promise<void> {
    await this.put(ResponseDetailType.Plan, detail);
  }

  async publishStepResult(detail: ResponseStepResultDetail): Promise<void> {
    await this.put(ResponseDetailType.StepResult, detail);
  }

  async publishFailure(detail: ResponseFailedDetail): Promise<void> {
    await this.put(ResponseDetailType.Failed, detail);
  }

  private async put(detailType: ResponseDetailType, detail: object): Promise<void> {
    const result = await this.client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: this.busName,
            Source: RESPONSE_SOURCE,
            DetailType: detailType,
            Detail: JSON.stringify(detail),
          },
        ],
      }),
    );
    // PutEvents reports per-entry failures in a 200 response.
    if ((result.FailedEntryCount ?? 0) > 0) {
      const entry = result.Entries?.[0];
      throw new PublishError(
        `PutEvents rejected ${detailType}: ${entry?.ErrorCode ?? ''} ${entry?.ErrorMessage ?? ''}`,
      );
    }
  }
}
