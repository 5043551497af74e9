import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestEmulator, SUBSCRIPTION } from '../helpers/emulator.js';
import type { TestEmulator } from '../helpers/emulator.js';

let emu: TestEmulator;
beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(async () => {
  await emu.dispose();
});

describe('real ComputeManagementClient against the stand-in', () => {
  it('creates a resource group and a gallery', async () => {
    const token = await emu.credential().getToken('https://management.azure.com/.default');
    expect(token.token.split('.')).toHaveLength(3);
    const res = await fetch(`${emu.endpoint}/subscriptions/${SUBSCRIPTION}/resourcegroups/rg1?api-version=2024-11-01`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ location: 'westus2' }),
    });
    expect(res.status).toBe(201);
    const compute = emu.compute();
    const gallery = await compute.galleries.createOrUpdate('rg1', 'gallery1', { location: 'westus2' }, { updateIntervalInMs: 20 });
    expect(gallery.provisioningState).toBe('Succeeded');
  });
});
