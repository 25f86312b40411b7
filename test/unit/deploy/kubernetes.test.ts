import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler, type IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget, type IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap, type IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service, type IService } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../../../src/config/index.js';
import { documentedSecretSettings, documentedSettings, readText, ROOT } from './deploy-files.js';

const BASE = 'deploy/kubernetes/base';

/** The schema-checked model of each kind the base may hold. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
};

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
}

const kustomization = parseAllDocuments(readText(`${BASE}/kustomization.yaml`))[0]!.toJS() as { resources: string[] };
const files = readdirSync(`${ROOT}${BASE}`).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml');
const manifests: Array<Manifest & { file: string }> = files.flatMap((file) =>
  parseAllDocuments(readText(`${BASE}/${file}`)).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message}`);
    return { ...(doc.toJS() as Manifest), file };
  }),
);
const one = <T>(kind: string): T => {
  const found = manifests.filter((m) => m.kind === kind);
  expect(found).toHaveLength(1);
  return found[0] as unknown as T;
};

const deployment = one<IDeployment>('Deployment');
const pod = deployment.spec!.template.spec!;
const container = pod.containers[0]!;
const podLabels = deployment.spec!.template.metadata!.labels!;
const configMap = one<IConfigMap>('ConfigMap');

describe('deploy/kubernetes/base', () => {
  it('lists exactly its manifest files as the kustomization resources', () => {
    expect([...kustomization.resources].sort()).toEqual([...files].sort());
  });

  it('holds a Deployment, ConfigMap, Service, PodDisruptionBudget, HorizontalPodAutoscaler and ServiceAccount', () => {
    expect(manifests.map((m) => m.kind).sort()).toEqual(
      ['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Service', 'ServiceAccount'].sort(),
    );
  });

  it.each(files)('%s is valid against the Kubernetes schemas (kubernetes-models)', (file) => {
    for (const m of manifests.filter((x) => x.file === file)) {
      const Model = MODELS[`${m.apiVersion}/${m.kind}`];
      expect({ kind: `${m.apiVersion}/${m.kind}`, known: Model !== undefined }).toEqual({ kind: `${m.apiVersion}/${m.kind}`, known: true });
      expect(() => new Model!(m as never).validate()).not.toThrow();
    }
  });

  it('would catch a malformed manifest (the validation above can fail)', () => {
    const broken = { ...deployment, spec: { ...deployment.spec!, replicas: 'two' } };
    expect(() => new Deployment(broken as never).validate()).toThrow(/replicas/);
  });

  it('probes liveness on /healthz and readiness on /readyz, on the port the BFF listens on', () => {
    const http = container.ports!.find((p) => p.name === 'http')!;
    expect(String(http.containerPort)).toBe(configMap.data!.PORT);
    expect(container.livenessProbe!.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.readinessProbe!.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(container.startupProbe?.httpGet?.path).toBe('/healthz');
  });

  it('asks for resources and caps memory', () => {
    expect(container.resources!.requests).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
    expect(container.resources!.limits!.memory).toEqual(expect.any(String));
  });

  it('runs non-root on a read-only root filesystem, without privilege escalation or capabilities', () => {
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.securityContext!.capabilities!.add).toBeUndefined();
    expect(pod.automountServiceAccountToken).toBe(false);
    // A writable /tmp on an emptyDir, as the root filesystem is read-only.
    const tmp = container.volumeMounts!.find((v) => v.mountPath === '/tmp')!;
    expect(pod.volumes!.find((v) => v.name === tmp.name)!.emptyDir).toBeDefined();
  });

  it('mounts the secrets as a projected volume of files (no subPath), and points every *_FILE setting into it', () => {
    const mount = container.volumeMounts!.find((v) => v.name === 'secrets')!;
    expect(mount).toMatchObject({ readOnly: true });
    expect(container.volumeMounts!.every((v) => v.subPath === undefined && v.subPathExpr === undefined)).toBe(true);
    const projected = pod.volumes!.find((v) => v.name === mount.name)!.projected!;
    // 0440: readable by the pod's fsGroup, nobody else.
    expect(projected.defaultMode).toBe(0o440);
    expect(pod.securityContext!.fsGroup).toBe(1000);
    const paths = projected.sources!.flatMap((s) => (s.secret?.items ?? []).map((i) => i.path));
    const fileSettings = (container.env ?? []).filter((e) => e.name.endsWith('_FILE'));
    expect(fileSettings.map((e) => e.value).sort()).toEqual(paths.map((p) => `${mount.mountPath}/${p}`).sort());
    // Secrets never in the ConfigMap nor as plain values.
    for (const secret of documentedSecretSettings()) {
      expect(configMap.data).not.toHaveProperty(secret);
      expect((container.env ?? []).map((e) => e.name)).not.toContain(secret);
    }
    for (const setting of ['OIDC_CLIENT_SECRET', 'SESSION_SECRET', 'SESSION_ENCRYPTION_KEY', 'CATALOG_API_KEY', 'PAYMENTS_SECRET_KEY']) {
      expect(fileSettings.map((e) => e.name)).toContain(`${setting}_FILE`);
    }
  });

  it('configures production: https PUBLIC_URL and OIDC_ISSUER, Redis, every downstream URL', () => {
    const data = configMap.data!;
    expect(data.NODE_ENV).toBe('production');
    expect(data.PUBLIC_URL).toMatch(/^https:\/\//);
    expect(data.OIDC_ISSUER).toMatch(/^https:\/\//);
    expect(data.REDIS_URL).toMatch(/^rediss?:\/\/[^@]*$/);
    for (const url of ['CATALOG_URL', 'ORDERS_URL', 'REVIEWS_URL', 'PAYMENTS_URL']) expect(data[url]).toMatch(/^https?:\/\//);
    expect(container.envFrom).toEqual([{ configMapRef: { name: configMap.metadata!.name } }]);
  });

  it('is a configuration the BFF accepts in production (every rule of src/config/ passes)', () => {
    const env = { ...configMap.data!, ...Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value])) };
    expect(() => loadConfig(env)).not.toThrow();
    expect(loadConfig(env).production).toBe(true);
  });

  it('sets only settings the BFF knows (docs/http-and-config.md)', () => {
    const known = documentedSettings();
    const names = [...Object.keys(configMap.data!), ...(container.env ?? []).map((e) => e.name)];
    expect(names.filter((n) => !known.has(n))).toEqual([]);
  });

  it('points the Service, the PodDisruptionBudget and the HorizontalPodAutoscaler at the Deployment', () => {
    const selector = deployment.spec!.selector.matchLabels!;
    expect(podLabels).toMatchObject(selector);
    const service = one<IService>('Service');
    expect(service.spec!.selector).toEqual(selector);
    const portNames = container.ports!.map((p) => p.name);
    for (const p of service.spec!.ports!) expect(portNames).toContain(p.targetPort);
    const pdb = one<IPodDisruptionBudget>('PodDisruptionBudget');
    expect(pdb.spec!.selector!.matchLabels).toEqual(selector);
    const hpa = one<IHorizontalPodAutoscaler>('HorizontalPodAutoscaler');
    expect(hpa.spec!.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata!.name });
    // Enough replicas that the PDB still lets a node drain.
    expect(hpa.spec!.minReplicas).toBeGreaterThan(Number(pdb.spec!.minAvailable));
    // The HPA owns the count: a replicas field would reset it at every apply.
    expect(deployment.spec!.replicas).toBeUndefined();
  });

  it('builds with `kubectl kustomize` where kubectl is installed', () => {
    const r = spawnSync('kubectl', ['kustomize', `${ROOT}${BASE}`], { encoding: 'utf8' });
    const absent = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
    if (absent) {
      expect(r.error).toMatchObject({ code: 'ENOENT' });
      return;
    }
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    const built = parseAllDocuments(r.stdout).map((d) => d.toJS() as Manifest & { metadata: { labels?: Record<string, string> } });
    expect(built.map((m) => m.kind).sort()).toEqual(manifests.map((m) => m.kind).sort());
    // The common labels reach every object, and the selectors stay as written.
    for (const m of built) expect(m.metadata.labels).toMatchObject({ 'app.kubernetes.io/part-of': 'shop' });
    const builtDeployment = built.find((m) => m.kind === 'Deployment') as unknown as IDeployment;
    expect(builtDeployment.spec!.selector.matchLabels).toEqual(deployment.spec!.selector.matchLabels);
    expect(builtDeployment.spec!.template.spec!.containers[0]!.image).toMatch(/^[^:]+:[\w.-]+$/);
  });
});
