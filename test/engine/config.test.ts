import { loadConfig, ConfigError, ConfigFields, ConfigSchema } from '../../engine/config';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

describe('configuration', () => {
  test('defaults match the README: port 8080, loopback, ./data/baton.db', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 8080, host: '127.0.0.1', dbPath: './data/baton.db', logLevel: 'info', bodyLimit: '5mb', ownerEmailMandatory: false });
    expect(Object.isFrozen(c)).toBe(true);
  });

  test('values are converted from strings', () => {
    expect(loadConfig({ BATON_PORT: '9090', BATON_OWNER_EMAIL_MANDATORY: 'true' })).toMatchObject({ port: 9090, ownerEmailMandatory: true });
  });

  test('a bad value is rejected with a message naming the variable and the value', () => {
    expect(() => loadConfig({ BATON_PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ BATON_PORT: 'eighty' })).toThrow(/BATON_PORT.*"eighty"/);
    expect(() => loadConfig({ BATON_LOG_LEVEL: 'loud' })).toThrow(/BATON_LOG_LEVEL/);
    expect(() => loadConfig({ BATON_BODY_LIMIT: 'huge' })).toThrow(/BATON_BODY_LIMIT/);
  });

  test('.env.example lists every variable of the schema with its default', () => {
    const example = readFileSync(join(__dirname, '../../.env.example'), 'utf8');
    const defaults = ConfigSchema.parse({}) as Record<string, unknown>;
    for (const key of Object.keys(ConfigFields.shape)) {
      if (defaults[key] === undefined) {
        // optional, no default: documented as a commented-out example
        expect(example.split('\n').some((l) => l.startsWith(`# ${key}=`))).toBe(true);
        continue;
      }
      const line = example.split('\n').find((l) => l.startsWith(`${key}=`) || l.startsWith(`# ${key}=`));
      expect(line).toBeDefined();
      const value = line!.slice(line!.indexOf('=') + 1);
      expect(String(ConfigFields.shape[key as keyof typeof ConfigFields.shape].parse(value))).toBe(String(defaults[key]));
    }
  });
});
