// The backup feature: its admin routes (create, restore, verify; restore of Qubes OS backups), registered like every feature from src/features/index.ts.
import type { FeatureFactory } from '../../daemon/feature.js';
import { backupRoutes } from './routes.js';
import { qubesBackupRoutes } from './qubes/routes.js';

export const backup: FeatureFactory = () => ({ name: 'backup', hooks: [], routes: [backupRoutes, qubesBackupRoutes] });
