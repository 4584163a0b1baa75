/**
 * A real S3 API on 127.0.0.1: moto's server (PyPI moto[server], scripts/test-moto) with request
 * signatures checked, so a wrong secret is refused as AWS refuses it. The first three actions are
 * unauthenticated (moto's INITIAL_NO_AUTH_ACTION_COUNT): they create an IAM user, its access key
 * and its policy; everything after, the bucket included, is signed with that key.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { execa } from 'execa';
import { REPO } from './buildpack.js';
import { freePort } from './cluster.js';
import { until } from './wait.js';

export interface S3Server {
  endpoint: string;
  accessKey: string;
  secret: string;
  bucket: string;
  region: string;
  /** object keys under a prefix */
  list(prefix: string): Promise<string[]>;
  /** an object's bytes, as text */
  get(key: string): Promise<string>;
  stop(): Promise<void>;
}

export function motoPython(): string {
  return execFileSync(path.join(REPO, 'scripts/test-moto'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

const SETUP = `
import boto3, json, sys
endpoint, bucket, region = sys.argv[1:4]
kw = dict(endpoint_url=endpoint, region_name=region, aws_access_key_id='setup', aws_secret_access_key='setup')
iam = boto3.client('iam', **kw)
iam.create_user(UserName='spark')
key = iam.create_access_key(UserName='spark')['AccessKey']
iam.put_user_policy(UserName='spark', PolicyName='s3', PolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': '*', 'Resource': '*'}]}))
s3 = boto3.client('s3', endpoint_url=endpoint, region_name=region, aws_access_key_id=key['AccessKeyId'], aws_secret_access_key=key['SecretAccessKey'])
s3.create_bucket(Bucket=bucket)
print(json.dumps({'id': key['AccessKeyId'], 'secret': key['SecretAccessKey']}))
`;

const CLIENT = `
import boto3, json, sys
endpoint, region, bucket, op, arg = sys.argv[1:6]
s3 = boto3.client('s3', endpoint_url=endpoint, region_name=region)  # the key from the environment, never argv
if op == 'list':
    keys = [o['Key'] for p in s3.get_paginator('list_objects_v2').paginate(Bucket=bucket, Prefix=arg) for o in p.get('Contents', [])]
    print(json.dumps(keys))
else:
    sys.stdout.buffer.write(s3.get_object(Bucket=bucket, Key=arg)['Body'].read())
`;

export async function startS3(bucket = 'spark-e2e', region = 'us-east-1'): Promise<S3Server> {
  const python = motoPython();
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(python, ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, INITIAL_NO_AUTH_ACTION_COUNT: '3' },
    stdio: 'ignore',
  });
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  };
  try {
    // moto answers 403 to the unsigned probe's S3 request only after it is up: wait for any answer
    await until(
      'moto to listen',
      async () =>
        fetch(`${endpoint}/moto-api/`).then(
          () => true,
          () => false,
        ),
      60_000,
    );
    const made = JSON.parse((await execa(python, ['-c', SETUP, endpoint, bucket, region])).stdout) as { id: string; secret: string };
    const client = async (op: 'list' | 'get', arg: string) =>
      (await execa(python, ['-c', CLIENT, endpoint, region, bucket, op, arg], { env: { AWS_ACCESS_KEY_ID: made.id, AWS_SECRET_ACCESS_KEY: made.secret } })).stdout;
    return {
      endpoint,
      accessKey: made.id,
      secret: made.secret,
      bucket,
      region,
      list: async (prefix) => JSON.parse(await client('list', prefix)) as string[],
      get: (key) => client('get', key),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
