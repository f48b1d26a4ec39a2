export {
  EKS_POD_CIDR,
  generateOrganisationDay,
  type ExpectedImdsv1,
  type OrganisationDay,
  type PlantedTheft,
  type ScenarioException,
  type ScenarioFile,
  type ScenarioManifest,
} from './organisation-day';
export { DEFAULT_OPTIONS, ScenarioOptionsError, type OrganisationDayOptions } from './scenario-options';
export { ORGANISATION_ACCOUNTS, organisationAccounts, type OrgAccount } from './organisation-estate';
export { SAMPLE_OPTIONS } from './sample-scenario';
export { writeScenario, type ScenarioLayout, type WriteSummary } from './write-scenario';
export { RandomSource, mulberry32 } from './random-source';
