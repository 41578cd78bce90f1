import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Router } from 'express';
import { createAccess } from '../../../server/src/auth/access.js';
import { loadConfig } from '../../../server/src/config/Config.js';
import { CameraControl } from '../../../server/src/control/CameraControl.js';
import { cameraApi } from '../../../server/src/http/cameraApi.js';
import { openApiDocument } from '../../../server/src/http/openapi.js';
import { SNAPSHOT_PATH } from '../../../server/src/http/snapshotRoute.js';
import { silentLogger } from '../../../server/src/log/logger.js';
import { CameraRegistry } from '../../../server/src/media/CameraRegistry.js';
import { ViewerDirectory } from '../../../server/src/session/ViewerDirectory.js';

/** "GET /api/cameras/{name}" for every route the router has (preflights apart). */
function routesOf(router: Router): string[] {
  const out: string[] = [];
  for (const layer of router.stack as Array<{ route?: { path: string; methods: Record<string, boolean> } }>) {
    if (!layer.route) continue;
    for (const method of Object.keys(layer.route.methods)) {
      if (method === 'options') continue;
      out.push(`${method.toUpperCase()} /api${layer.route.path.replace(/:(\w+)/g, '{$1}')}`);
    }
  }
  return out.sort();
}

describe('OpenAPI document', () => {
  const registry = new CameraRegistry({ logger: silentLogger() });
  const config = loadConfig({});
  const router = cameraApi({
    registry,
    control: new CameraControl({ registry, config, logger: silentLogger() }),
    viewers: new ViewerDirectory(),
    authenticator: createAccess(undefined).authenticator,
    logger: silentLogger(),
    bitrateIn: () => 0,
  });

  it('describes every route of the control API, the camera list and the snapshot camrtcRoutes serve, and nothing else', () => {
    const doc = openApiDocument() as { paths: Record<string, Record<string, unknown>> };
    const documented: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of ['get', 'post', 'put', 'patch', 'delete']) if (item[method]) documented.push(`${method.toUpperCase()} ${path}`);
    }
    assert.deepEqual(documented.sort(), [...routesOf(router), 'GET /api/cameras', `GET ${SNAPSHOT_PATH.replace(':name', '{name}')}`].sort());
  });

  it('is OpenAPI 3.1 JSON whose every operation has an id, answers and the path parameters it uses', () => {
    const doc = JSON.parse(JSON.stringify(openApiDocument())) as {
      openapi: string;
      paths: Record<string, Record<string, { operationId?: string; responses?: Record<string, unknown> }> & { parameters?: Array<{ name: string }> }>;
      components: { schemas: Record<string, unknown> };
    };
    assert.equal(doc.openapi, '3.1.0');
    const ids = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths)) {
      const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      assert.deepEqual((item.parameters ?? []).map((p) => p.name), params, path);
      for (const [method, op] of Object.entries(item)) {
        if (method === 'parameters') continue;
        const operation = op as { operationId?: string; responses?: Record<string, unknown> };
        assert.ok(operation.operationId && !ids.has(operation.operationId), `${method} ${path} has a unique operationId`);
        ids.add(operation.operationId);
        assert.ok(Object.keys(operation.responses ?? {}).some((s) => s.startsWith('2')), `${method} ${path} has a success answer`);
      }
    }
    // Every $ref points at a schema the document has.
    for (const m of JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)) assert.ok(m[1] in doc.components.schemas, m[1]);
    // The body schemas come from the zod schemas the routes check with.
    const camera = doc.components.schemas.NewCamera as { required: string[]; additionalProperties: boolean; properties: Record<string, { enum?: string[] }> };
    assert.deepEqual(camera.required.sort(), ['name', 'url']);
    assert.equal(camera.additionalProperties, false);
    assert.deepEqual(camera.properties.transport.enum, ['tcp', 'udp', 'auto', 'multicast']);
  });
});
