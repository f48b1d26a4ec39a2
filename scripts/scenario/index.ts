export {
  DEFAULT_OPTIONS,
  EKS_POD_CIDR,
  ScenarioOptionsError,
  generateOrganisationDay,
  type ExpectedImdsv1,
  type OrganisationDay,
  type OrganisationDayOptions,
  type PlantedTheft,
  type ScenarioException,
  type ScenarioFile,
  type ScenarioManifest,
} from './organisation-day';
export { ORGANISATION_ACCOUNTS, organisationAccounts, type OrgAccount } from './organisation-estate';
export { SAMPLE_OPTIONS } from './sample-scenario';
export { writeScenario, type ScenarioLayout, type WriteSummary } from './write-scenario';
export { RandomSource, mulberry32 } from './random-source';
