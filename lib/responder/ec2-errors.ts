/** Raised by the EC2 gateway; kept apart from it so readers can catch it without loading the EC2 client. */
export class InstanceNotFoundError extends Error {
  constructor(
    readonly instanceId: string,
    options?: ErrorOptions,
  ) {
    super(`instance ${instanceId} not found`, options);
    this.name = 'InstanceNotFoundError';
  }
}
