import { startMotoServer } from './moto-server.js';
import type { SecretHomeKind } from './rotation.js';

/**
 * A secret in AWS Secrets Manager (moto's real server, one per suite) behind
 * `<X>_AWS_SECRET_ID`, replaced as a rotation's last step does: a new version put with
 * `PutSecretValue` becomes `AWSCURRENT`, the one before `AWSPREVIOUS`. With `jsonKey`
 * the secret is a JSON object holding the key under that name, beside another field.
 */
export function awsSecretHome(o: { jsonKey?: string } = {}): SecretHomeKind {
  const stored = (value: string) => (o.jsonKey ? JSON.stringify({ [o.jsonKey]: value, note: 'other fields are ignored' }) : value);
  return {
    label: (setting) => `${setting}_AWS_SECRET_ID${o.jsonKey ? ` with #${o.jsonKey}` : ''}`,
    async open(setting, first) {
      const moto = await startMotoServer();
      const name = `shop-bff/${setting.toLowerCase()}`;
      try {
        const arn = await moto.createSecret(name, stored(first));
        return {
          env: {
            ...moto.env,
            // By ARN here; the bad-input suite uses names.
            [`${setting}_AWS_SECRET_ID`]: o.jsonKey ? `${arn}#${o.jsonKey}` : arn,
            // The file-first order needs the BFF to notice a new version by itself: poll often.
            SECRET_MANAGER_POLL_MS: '200',
          },
          replace: async (value) => void (await moto.putSecretValue(name, stored(value))),
          close: () => moto.stop(),
        };
      } catch (err) {
        await moto.stop();
        throw err;
      }
    },
  };
}
