import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';

export interface AlertPublisher {
  publish(message: { subject: string; body: string }): Promise<string | undefined>;
}

/** Publishes alert emails to the on-call topic. */
export class SnsGateway implements AlertPublisher {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(message: { subject: string; body: string }): Promise<string | undefined> {
    const result = await this.client.send(
      new PublishCommand({ TopicArn: this.topicArn, Subject: message.subject, Message: message.body }),
    );
    return result.MessageId;
  }
}
