import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  IncidentRecordSchema,
  StepRecordSchema,
  type AuditStore,
  type IncidentRecord,
  type IncidentStatus,
  type StepRecord,
} from './audit-store';

/** The CLI's audit store: one folder per incident, one JSON file per record. Same contract as DynamoDB. */
export class FileAuditStore implements AuditStore {
  constructor(private readonly directory: string) {}

  async createIncident(record: IncidentRecord): Promise<boolean> {
    const folder = await this.folder(record.incidentId);
    try {
      // `wx` fails when the file exists: the file-system form of a conditional put.
      await writeFile(join(folder, `plan-${record.mode}.json`), JSON.stringify(record, null, 2), {
        flag: 'wx',
      });
      return true;
    } catch (error) {
      if (isCode(error, 'EEXIST')) return false;
      throw error;
    }
  }

  async getIncident(incidentId: string, mode: IncidentRecord['mode']): Promise<IncidentRecord | null> {
    const text = await readOptional(join(this.directory, safe(incidentId), `plan-${mode}.json`));
    return text === null ? null : IncidentRecordSchema.parse(JSON.parse(text));
  }

  async updateIncidentStatus(
    incidentId: string,
    mode: IncidentRecord['mode'],
    status: IncidentStatus,
    at: string,
    lastError?: string | null,
  ): Promise<void> {
    const record = await this.getIncident(incidentId, mode);
    if (record === null) throw new Error(`no ${mode} record for incident ${incidentId}`);
    const folder = await this.folder(incidentId);
    const updated = { ...record, status, updatedAt: at, ...(lastError === undefined ? {} : { lastError }) };
    await writeFile(join(folder, `plan-${mode}.json`), JSON.stringify(updated, null, 2));
  }

  // One person runs the CLI at a time: a read-modify-write counter is enough here.
  async recordAttempt(incidentId: string, mode: IncidentRecord['mode'], at: string): Promise<number> {
    const folder = await this.folder(incidentId);
    const path = join(folder, `attempts-${mode}.json`);
    const text = await readOptional(path);
    const previous = text === null ? 0 : Number((JSON.parse(text) as { attempts?: unknown }).attempts ?? 0);
    const attempts = (Number.isInteger(previous) ? previous : 0) + 1;
    await writeFile(path, JSON.stringify({ attempts, lastAttemptAt: at }, null, 2));
    return attempts;
  }

  async putStep(step: StepRecord): Promise<void> {
    const folder = await this.folder(step.incidentId);
    const name = `step-${step.mode}-${step.phase}-${String(step.index).padStart(3, '0')}.json`;
    await writeFile(join(folder, name), JSON.stringify(step, null, 2));
  }

  async listSteps(
    incidentId: string,
    mode: IncidentRecord['mode'],
    phase: StepRecord['phase'],
  ): Promise<StepRecord[]> {
    const folder = join(this.directory, safe(incidentId));
    let names: string[];
    try {
      names = await readdir(folder);
    } catch (error) {
      if (isCode(error, 'ENOENT')) return [];
      throw error;
    }
    const prefix = `step-${mode}-${phase}-`;
    const steps = await Promise.all(
      names
        .filter((name) => name.startsWith(prefix))
        .map(async (name) => StepRecordSchema.parse(JSON.parse(await readFile(join(folder, name), 'utf8')))),
    );
    return steps.sort((a, b) => a.index - b.index);
  }

  private async folder(incidentId: string): Promise<string> {
    const folder = join(this.directory, safe(incidentId));
    await mkdir(folder, { recursive: true });
    return folder;
  }
}

// Incident ids come from the command line: keep them inside the audit folder.
function safe(incidentId: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(incidentId) || incidentId.startsWith('.'))
    throw new Error(`invalid incident id ${incidentId}`);
  return incidentId;
}

async function readOptional(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (isCode(error, 'ENOENT')) return null;
    throw error;
  }
}

function isCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === code;
}
