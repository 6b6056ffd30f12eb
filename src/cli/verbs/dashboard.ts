// Verb `dashboard url`: a login link to the dashboard with a one-time secret, printed as the last line.
import { apiClient } from '../client.js';

export async function dashboardUrl(): Promise<string> {
  const l = await apiClient().call('dashboard.link');
  return `open within ${Math.round(l.expiresInSeconds / 60)} minutes, once (it becomes a session cookie):\n${l.url}\n`;
}
