/**
 * An error's message. Read from the object rather than by `instanceof Error`: an error made in another
 * realm (a parse worker's, or a test sandbox's) is an Error all the same, and a file skipped for it must
 * be reported in the same words whichever thread read the file.
 */
export function messageOf(error: unknown): string {
  const message = (error as { message?: unknown } | null | undefined)?.message;
  return typeof message === 'string' ? message : String(error);
}
