import { preset as clientPreset } from '@graphql-codegen/client-preset';
import { Kind, type OperationDefinitionNode, parse } from 'graphql';

/**
 * graphql-codegen's client preset plus one more output: the Apollo persisted-query
 * manifest (what Apollo Kotlin, Apollo iOS and Apollo Client register), built from the
 * very map the preset writes to `persisted-documents.json`. Both files therefore come
 * out of one `graphql-codegen` run, with the same document text and the same hash,
 * and `graphql-codegen --check` (run by `npm test`) fails when either is stale.
 *
 * Use it as `preset` of an output folder, with the client preset's `presetConfig`
 * (`persistedDocuments: true` is required).
 */
export const trustedDocumentsPreset: typeof clientPreset = {
  prepareDocuments: clientPreset.prepareDocuments,
  async buildGeneratesSection(options) {
    const sections = await clientPreset.buildGeneratesSection(options);
    const persisted = sections.find((s) => s.filename === `${options.baseOutputDir}${PERSISTED_DOCUMENTS_FILE}`);
    const [name, plugin] = Object.entries(persisted?.pluginMap ?? {})[0] ?? [];
    if (!persisted || !plugin || !name) {
      throw new Error('trustedDocumentsPreset needs presetConfig.persistedDocuments: true (the client preset wrote no manifest)');
    }
    sections.push({
      ...persisted,
      filename: `${options.baseOutputDir}${APOLLO_MANIFEST_FILE}`,
      plugins: [{ [APOLLO_MANIFEST_PLUGIN]: {} }],
      pluginMap: {
        [APOLLO_MANIFEST_PLUGIN]: {
          // The preset's own plugin resolves once every document has been hashed; its
          // output is the `{ "sha256:<hex>": text }` map, converted here.
          plugin: async (...args) => {
            const out = await plugin.plugin(...args);
            const text = typeof out === 'string' ? out : out.content;
            return JSON.stringify(toApolloManifest(JSON.parse(text) as Record<string, string>), null, 2);
          },
        },
      },
    });
    return sections;
  },
};

export const PERSISTED_DOCUMENTS_FILE = 'persisted-documents.json';
export const APOLLO_MANIFEST_FILE = 'persisted-query-manifest.json';
const APOLLO_MANIFEST_PLUGIN = 'apollo-persisted-query-manifest';

/** The format of `@apollo/generate-persisted-query-manifest`, read by Apollo's clients. */
export interface ApolloPersistedQueryManifest {
  readonly format: 'apollo-persisted-query-manifest';
  readonly version: 1;
  readonly operations: ReadonlyArray<{
    /** The SHA-256 of `body`, in hex: the persisted-documents key without `sha256:`. */
    readonly id: string;
    readonly body: string;
    readonly name: string;
    readonly type: 'query' | 'mutation' | 'subscription';
  }>;
}

/**
 * `{ "sha256:<hex>": "<text>" }` → the Apollo manifest, same text, same hex. Every
 * document must hold exactly one named operation: Apollo's clients look ids up by
 * operation name.
 */
export function toApolloManifest(documents: Readonly<Record<string, string>>): ApolloPersistedQueryManifest {
  const operations = Object.entries(documents).map(([key, body]) => {
    if (!key.startsWith('sha256:')) throw new Error(`persisted document id ${key} is not a sha256: id`);
    const ops = parse(body).definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    const name = ops[0]?.name?.value;
    if (ops.length !== 1 || name === undefined) {
      throw new Error(`each client document must hold exactly one named operation; this one does not:\n${body}`);
    }
    return { id: key.slice('sha256:'.length), body, name, type: ops[0]!.operation };
  });
  return { format: 'apollo-persisted-query-manifest', version: 1, operations };
}
