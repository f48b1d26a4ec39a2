import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateOrganisationDay } from './scenario/organisation-day';
import { SAMPLE_OPTIONS, renderSampleReadme } from './scenario/sample-scenario';
import { writeScenario } from './scenario/write-scenario';

/** Regenerates sample-data/ (`npm run sample-data`). The output is deterministic: rerunning changes nothing. */
async function main(): Promise<void> {
  const dir = join(__dirname, '..', 'sample-data');
  await rm(join(dir, 'cloudtrail'), { recursive: true, force: true });
  await rm(join(dir, 'inventory'), { recursive: true, force: true });
  const day = generateOrganisationDay(SAMPLE_OPTIONS);
  const summary = await writeScenario(dir, day);
  await writeFile(join(dir, 'README.md'), renderSampleReadme(day, summary));
  console.log(
    `sample-data: ${summary.logFiles} log files, ${summary.records} records (${summary.instanceCredentialRecords} with instance credentials), ${summary.digestFiles} digests, ${summary.bytes} bytes`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
