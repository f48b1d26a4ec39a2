/**
 * Plain-text helpers for emails. SNS subjects must be ASCII, without line breaks or control
 * characters, at most 100 characters (SNS API reference, Publish: Subject).
 */
export const SNS_SUBJECT_LIMIT = 100;

export function toAscii(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .replace(/[^\x20-\x7e]/g, '?')
    .trim();
}

/**
 * Builds a subject from a template that receives the one part allowed to shrink (usually the role
 * name, the longest and least critical to recognise): it is shortened with "..." until the subject
 * fits, and as a last resort the whole subject is cut.
 */
export function fitSubject(render: (flexible: string) => string, flexible: string): string {
  const safeFlexible = toAscii(flexible);
  let subject = toAscii(render(safeFlexible));
  for (let keep = safeFlexible.length - 1; subject.length > SNS_SUBJECT_LIMIT && keep >= 3; keep -= 1) {
    subject = toAscii(render(`${safeFlexible.slice(0, keep)}...`));
  }
  return subject.length > SNS_SUBJECT_LIMIT ? `${subject.slice(0, SNS_SUBJECT_LIMIT - 3)}...` : subject;
}

/** "2026-11-20T12:24:02.000Z" → "2026-11-20 12:24:02 UTC"; anything unparseable is shown as given. */
export function formatTime(value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return 'unknown';
  const time = Date.parse(value);
  if (Number.isNaN(time)) return value;
  return `${new Date(time).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function joinOrNone(values: readonly string[] | undefined, none = 'none'): string {
  return values !== undefined && values.length > 0 ? values.join(', ') : none;
}

/** Aligned "Label:  value" lines, skipping rows without a value. */
export function fields(rows: readonly (readonly [string, string | null | undefined])[]): string[] {
  const present = rows.filter(
    (row): row is readonly [string, string] => row[1] !== null && row[1] !== undefined,
  );
  const width = Math.max(0, ...present.map(([label]) => label.length)) + 2;
  return present.map(([label, value]) => `${`${label}:`.padEnd(width)}${value}`);
}

export function section(title: string, lines: readonly string[]): string[] {
  return ['', title.toUpperCase(), ...lines];
}

/** A subject with nothing to shorten but itself: made ASCII and cut to SNS's limit. */
export function toSubjectSafe(subject: string): string {
  return fitSubject(() => subject, '');
}

/** The last lines of every alert email. */
export function alertFooter(): string[] {
  return [
    '',
    '--',
    'Sent by credtrail. One email per finding: later sightings of the same finding update it silently.',
  ];
}
