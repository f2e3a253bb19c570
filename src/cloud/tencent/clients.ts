import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { cvm } from 'tencentcloud-sdk-nodejs-cvm';
import { scf } from 'tencentcloud-sdk-nodejs-scf';
import { ssm } from 'tencentcloud-sdk-nodejs-ssm';
import type { TencentCredentials } from './credentials';

/** `{ protocol: 'http://', endpoint: '127.0.0.1:9000' }`, the SDK's httpProfile shape. */
export interface EndpointOverride {
  readonly protocol: 'http://' | 'https://';
  readonly endpoint: string;
}

export interface ClientSettings {
  readonly credentials: TencentCredentials;
  readonly cvmEndpoint?: EndpointOverride;
  readonly ssmEndpoint?: EndpointOverride;
  readonly scfEndpoint?: EndpointOverride;
  /** Seconds before the SDK gives up on one HTTP request. */
  readonly timeoutSeconds?: number;
}

export type CvmClient = InstanceType<typeof cvm.v20170312.Client>;
export type SsmClient = InstanceType<typeof ssm.v20190923.Client>;
export type ScfClient = InstanceType<typeof scf.v20180416.Client>;

/**
 * Builds one SDK client per (service, region), reusing keep-alive sockets. Passing our own agent
 * also stops the SDK from routing through `http_proxy`, which it does without honouring NO_PROXY
 * (facts §5.3).
 */
export class TencentClients {
  private readonly cvmClients = new Map<string, CvmClient>();
  private readonly ssmClients = new Map<string, SsmClient>();
  private readonly scfClients = new Map<string, ScfClient>();
  private readonly httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 128 });
  private readonly httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 128 });

  constructor(private readonly settings: ClientSettings) {}

  private profile(override: EndpointOverride | undefined) {
    const protocol = override?.protocol ?? 'https://';
    return {
      httpProfile: {
        protocol,
        ...(override ? { endpoint: override.endpoint } : {}),
        reqMethod: 'POST' as const,
        reqTimeout: this.settings.timeoutSeconds ?? 30,
        agent: protocol === 'http://' ? this.httpAgent : this.httpsAgent,
      },
    };
  }

  private credential() {
    const { secretId, secretKey, token } = this.settings.credentials;
    return token === undefined ? { secretId, secretKey } : { secretId, secretKey, token };
  }

  cvm(region: string): CvmClient {
    let client = this.cvmClients.get(region);
    if (!client) {
      client = new cvm.v20170312.Client({
        credential: this.credential(),
        region,
        profile: this.profile(this.settings.cvmEndpoint),
      });
      this.cvmClients.set(region, client);
    }
    return client;
  }

  ssm(region: string): SsmClient {
    let client = this.ssmClients.get(region);
    if (!client) {
      client = new ssm.v20190923.Client({
        credential: this.credential(),
        region,
        profile: this.profile(this.settings.ssmEndpoint),
      });
      this.ssmClients.set(region, client);
    }
    return client;
  }

  scf(region: string): ScfClient {
    let client = this.scfClients.get(region);
    if (!client) {
      client = new scf.v20180416.Client({
        credential: this.credential(),
        region,
        profile: this.profile(this.settings.scfEndpoint),
      });
      this.scfClients.set(region, client);
    }
    return client;
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
