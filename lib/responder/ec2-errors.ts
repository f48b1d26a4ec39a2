/** Raised by the EC2 gateway; kept apart from it so readers can catch it without loading the EC2 client. */
export class InstanceNotFoundError extends Error {
  constructor(readonly instanceId: string) {
    super(`instance ${instanceId} not found`);
    this.name = 'InstanceNotFoundError';
  }
}
