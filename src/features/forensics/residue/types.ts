// The residue proof's request and report: their schemas are in the API contract (shared by the daemon route and the CLI).
export { PLACES, type Place, type ResidueRequest, type ReportedHit, type PlaceScan, type ResidueReport } from '../../../contract/forensics.js';
