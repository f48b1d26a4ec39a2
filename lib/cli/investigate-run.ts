import { readFile } from 'node:fs/promises';
import * as z from 'zod';
import { FindingDetailSchema, type FindingDetail } from '../contracts/finding-event';
import { buildTimeline } from '../investigate/incident-timeline';
import { rootOf, traceIncidents } from '../investigate/incident-trace';
import { formatTimeline } from '../investigate/timeline-text';
import { UsageError, type CliIo } from './detect-command';
import { InvestigateExitCode, type InvestigateFlags } from './investigate-command';

/** `credtrail investigate`, past option parsing: loaded by ./investigate-command.ts when it runs. */
export async function investigate(
  findingPath: string,
  paths: string[],
  flags: InvestigateFlags,
  io: CliIo,
): Promise<number> {
  try {
    const finding = await loadFinding(findingPath);
    const trace = await traceIncidents(
      [rootOf(finding)],
      paths,
      async () => new (await import('@aws-sdk/client-s3')).S3Client({ followRegionRedirects: true }),
    );
    if (trace.files === 0) {
      io.stderr.write('error: no CloudTrail log files found under the given paths\n');
      return InvestigateExitCode.Error;
    }
    const timeline = buildTimeline(finding, trace);
    io.stdout.write(
      flags.output === 'json' ? `${JSON.stringify(timeline, null, 2)}\n` : formatTimeline(timeline),
    );
    for (const skipped of trace.skippedFiles)
      io.stderr.write(`warning: skipped ${skipped.name}: ${skipped.reason}\n`);
    return trace.files === trace.skippedFiles.length ? InvestigateExitCode.Error : InvestigateExitCode.Ok;
  } catch (error) {
    io.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return InvestigateExitCode.Error;
  }
}

/** A finding detail, an EventBridge event carrying one, or a one-line JSONL file of `detect`. */
export async function loadFinding(path: string): Promise<FindingDetail> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(
      `${path}: cannot read the finding (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    const lines = text.split('\n').filter((line) => line.trim() !== '');
    throw new UsageError(
      lines.length > 1
        ? `${path}: ${lines.length} lines; investigate takes one finding (one line of detect --output jsonl)`
        : `${path}: not JSON`,
    );
  }
  const candidate = typeof json === 'object' && json !== null && 'detail' in json ? json.detail : json;
  const parsed = FindingDetailSchema.safeParse(candidate);
  if (!parsed.success)
    throw new UsageError(`${path}: not a credtrail finding: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
