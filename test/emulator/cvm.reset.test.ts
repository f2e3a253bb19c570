import { afterEach, describe, expect, it } from 'vitest';
import {
  type Emulator,
  type EmulatorOptions,
  type InstanceSeed,
  startEmulator,
} from '../../src/emulator';
import { publicImageId } from '../../src/emulator/cvm/images';
import type { InstanceStateName } from '../../src/emulator/cvm/model';
import { cvmClient, expectTencentError } from '../helpers/sdk';

// Contract tests of CVM ResetInstancesPassword in the emulator, through the real
// tencentcloud-sdk-nodejs-cvm client (facts/tencent-cloud-api.md §1). Passwords are fixtures;
// assertions compare them without ever printing them.

type CvmClient = ReturnType<typeof cvmClient>;

const OLD = 'Old-Fixture-01';
const NEW = 'New-Fixture-02';
const CENTOS = 'CentOS 7.9 64bit';
const UBUNTU = 'Ubuntu Server 22.04 LTS 64bit';
const WINDOWS = 'Windows Server 2022 DataCenter 64bit';

const LINUX_STOPPED = 'ins-lnxstop1';
const LINUX_STOPPED_2 = 'ins-lnxstop2';
const LINUX_RUNNING = 'ins-lnxrun01';
const UBUNTU_STOPPED = 'ins-ubnstop1';
const WINDOWS_STOPPED = 'ins-winstop1';
const WINDOWS_NO_OSNAME = 'ins-winnoos1';
const STOP_CHARGING = 'ins-stopchg1';
const SHANGHAI = 'ins-shanghai';

function seeds(): InstanceSeed[] {
  const base = { region: 'ap-guangzhou', password: OLD } as const;
  return [
    { ...base, InstanceId: LINUX_STOPPED, OsName: CENTOS, InstanceState: 'STOPPED' },
    { ...base, InstanceId: LINUX_STOPPED_2, OsName: CENTOS, InstanceState: 'STOPPED' },
    { ...base, InstanceId: LINUX_RUNNING, OsName: CENTOS, InstanceState: 'RUNNING' },
    { ...base, InstanceId: UBUNTU_STOPPED, OsName: UBUNTU, InstanceState: 'STOPPED' },
    { ...base, InstanceId: WINDOWS_STOPPED, OsName: WINDOWS, InstanceState: 'STOPPED' },
    {
      ...base,
      InstanceId: WINDOWS_NO_OSNAME,
      OsName: '',
      ImageId: publicImageId(WINDOWS),
      ImageOsName: WINDOWS,
      InstanceState: 'STOPPED',
    },
    {
      ...base,
      InstanceId: STOP_CHARGING,
      OsName: CENTOS,
      InstanceState: 'STOPPED',
      StopChargingMode: 'STOP_CHARGING',
    },
    {
      region: 'ap-shanghai',
      password: OLD,
      InstanceId: SHANGHAI,
      OsName: CENTOS,
      InstanceState: 'STOPPED',
    },
  ];
}

/** Resets that complete at once, for tests that only care whether a call is accepted. */
const FAST: EmulatorOptions = { resetTiming: { stopped: [1, 1], running: [3, 3] } };

let emulator: Emulator;
let client: CvmClient;

async function start(options: EmulatorOptions = {}): Promise<void> {
  emulator = await startEmulator({ fleet: seeds(), rateLimits: false, ...options });
  client = cvmClient(emulator);
}

afterEach(async () => {
  await emulator.close();
});

/** Compares without printing: a failure names the instance, never the password. */
function expectPassword(instanceId: string, expected: string, user?: string): void {
  const actual = emulator.state.cvm.actualPassword(instanceId, user);
  expect(actual === expected, `password of ${user ?? 'the default user'} on ${instanceId}`).toBe(
    true,
  );
}

async function describeOne(instanceId: string) {
  const response = await client.DescribeInstances({ InstanceIds: [instanceId] });
  const instance = response.InstanceSet?.[0];
  if (!instance) throw new Error(`${instanceId} not listed`);
  return instance;
}

describe('Action: ResetInstancesPassword — an accepted call', () => {
  it('answers only a RequestId', async () => {
    // Prepare
    await start();

    // Act
    const response = await client.ResetInstancesPassword({
      InstanceIds: [LINUX_STOPPED],
      Password: NEW,
    });

    // Assess
    expect(Object.keys(response)).toEqual(['RequestId']);
    expect(response.RequestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('marks the instance OPERATING with the call’s RequestId at once, then SUCCESS with the new password', async () => {
    // Prepare
    await start();

    // Act
    const { RequestId } = await client.ResetInstancesPassword({
      InstanceIds: [LINUX_STOPPED],
      Password: NEW,
    });
    const during = await describeOne(LINUX_STOPPED);
    const passwordDuring = emulator.state.cvm.actualPassword(LINUX_STOPPED);
    await emulator.state.cvm.settle();
    const after = await describeOne(LINUX_STOPPED);

    // Assess
    expect(during).toMatchObject({
      LatestOperation: 'ResetInstancesPassword',
      LatestOperationState: 'OPERATING',
      LatestOperationRequestId: RequestId,
      LatestOperationErrorMsg: '',
      InstanceState: 'STOPPED',
    });
    expect(passwordDuring === OLD, 'the old password holds while OPERATING').toBe(true);
    expect(after).toMatchObject({
      LatestOperation: 'ResetInstancesPassword',
      LatestOperationState: 'SUCCESS',
      LatestOperationRequestId: RequestId,
      LatestOperationErrorMsg: '',
      InstanceState: 'STOPPED',
    });
    expectPassword(LINUX_STOPPED, NEW);
  });

  it('counts the reset as in flight until it completes', async () => {
    // Prepare
    await start();

    // Act
    await client.ResetInstancesPassword({
      InstanceIds: [LINUX_STOPPED, LINUX_STOPPED_2],
      Password: NEW,
    });
    const inFlight = emulator.state.cvm.inFlight();
    await emulator.state.cvm.settle();

    // Assess
    expect(inFlight).toBe(2);
    expect(emulator.state.cvm.inFlight()).toBe(0);
  });

  it('resets the default user of each OS: root, ubuntu, Administrator, and by the image’s platform for an empty OsName', async () => {
    // Prepare
    await start();

    // Act
    await client.ResetInstancesPassword({
      InstanceIds: [LINUX_STOPPED, UBUNTU_STOPPED],
      Password: NEW,
    });
    await client.ResetInstancesPassword({
      InstanceIds: [WINDOWS_STOPPED, WINDOWS_NO_OSNAME],
      Password: 'Win-Fixture-003',
    });
    await emulator.state.cvm.settle();

    // Assess
    expectPassword(LINUX_STOPPED, NEW, 'root');
    expectPassword(UBUNTU_STOPPED, NEW, 'ubuntu');
    expectPassword(WINDOWS_STOPPED, 'Win-Fixture-003', 'Administrator');
    expectPassword(WINDOWS_NO_OSNAME, 'Win-Fixture-003', 'Administrator');
  });

  it('resets the user named in UserName and leaves the default user’s password alone', async () => {
    // Prepare
    await start();

    // Act
    await client.ResetInstancesPassword({
      InstanceIds: [LINUX_STOPPED],
      Password: NEW,
      UserName: 'deploy',
    });
    await emulator.state.cvm.settle();

    // Assess
    expectPassword(LINUX_STOPPED, NEW, 'deploy');
    expectPassword(LINUX_STOPPED, OLD, 'root');
  });

  it('accepts a UserName of 64 characters', async () => {
    // Prepare
    await start();

    // Act
    const response = await client.ResetInstancesPassword({
      InstanceIds: [LINUX_STOPPED],
      Password: NEW,
      UserName: 'u'.repeat(64),
    });

    // Assess
    expect(response.RequestId).toBeDefined();
  });

  it('treats a repeated instance ID as one instance', async () => {
    // Prepare
    await start();

    // Act
    await client.ResetInstancesPassword({
      InstanceIds: [LINUX_STOPPED, LINUX_STOPPED],
      Password: NEW,
    });
    const inFlight = emulator.state.cvm.inFlight();
    await emulator.state.cvm.settle();

    // Assess
    expect(inFlight).toBe(1);
    expectPassword(LINUX_STOPPED, NEW);
  });

  it('accepts ForceStop on a stopped instance, which just stays stopped', async () => {
    // Prepare
    await start();

    // Act
    await client.ResetInstancesPassword({
      InstanceIds: [LINUX_STOPPED],
      Password: NEW,
      ForceStop: true,
    });
    await emulator.state.cvm.settle();

    // Assess
    expect(await describeOne(LINUX_STOPPED)).toMatchObject({
      InstanceState: 'STOPPED',
      LatestOperationState: 'SUCCESS',
    });
  });
});

describe('Action: ResetInstancesPassword — ForceStop on a running instance', () => {
  /** Polls DescribeInstances until the operation ends; records each new InstanceState and whether the password had changed by then. */
  async function observe(instanceId: string) {
    const seen: Array<{ state: string; operation: string; passwordIsNew: boolean }> = [];
    for (;;) {
      const instance = await describeOne(instanceId);
      const state = instance.InstanceState ?? '';
      const operation = instance.LatestOperationState ?? '';
      const last = seen[seen.length - 1];
      const passwordIsNew = emulator.state.cvm.actualPassword(instanceId) === NEW;
      if (!last || last.state !== state) seen.push({ state, operation, passwordIsNew });
      if (operation !== 'OPERATING') return seen;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  it('goes STOPPING → STOPPED → STARTING → RUNNING, writing the password while stopped', async () => {
    // Prepare: a slow reset, so each phase lasts long enough to be observed.
    await start({ resetTiming: { running: [1200, 1200] } });

    // Act
    const { RequestId } = await client.ResetInstancesPassword({
      InstanceIds: [LINUX_RUNNING],
      Password: NEW,
      ForceStop: true,
    });
    const seen = await observe(LINUX_RUNNING);
    const final = await describeOne(LINUX_RUNNING);

    // Assess
    expect(seen.map((s) => s.state)).toEqual(['STOPPING', 'STOPPED', 'STARTING', 'RUNNING']);
    expect(seen[0]?.passwordIsNew).toBe(false);
    expect(seen[2]?.passwordIsNew).toBe(true);
    expect(final).toMatchObject({
      InstanceState: 'RUNNING',
      LatestOperation: 'ResetInstancesPassword',
      LatestOperationState: 'SUCCESS',
      LatestOperationRequestId: RequestId,
      StopChargingMode: 'NOT_APPLICABLE',
    });
    expectPassword(LINUX_RUNNING, NEW);
  });

  it('leaves the instance STOPPED when restartAfterForceStop is off', async () => {
    // Prepare
    await start({ resetTiming: { running: [600, 600], restartAfterForceStop: false } });

    // Act
    await client.ResetInstancesPassword({
      InstanceIds: [LINUX_RUNNING],
      Password: NEW,
      ForceStop: true,
    });
    const seen = await observe(LINUX_RUNNING);

    // Assess
    expect(seen.map((s) => s.state)).toEqual(['STOPPING', 'STOPPED']);
    expect(await describeOne(LINUX_RUNNING)).toMatchObject({
      InstanceState: 'STOPPED',
      LatestOperationState: 'SUCCESS',
      StopChargingMode: 'KEEP_CHARGING',
    });
    expectPassword(LINUX_RUNNING, NEW);
  });

  it('is accepted in the GET form, with InstanceIds flattened and ForceStop as a query value', async () => {
    // Prepare
    await start();
    const getClient = cvmClient(emulator, { reqMethod: 'GET' });

    // Act
    const { RequestId } = await getClient.ResetInstancesPassword({
      InstanceIds: [LINUX_RUNNING, LINUX_STOPPED],
      Password: NEW,
      ForceStop: true,
    });
    await emulator.state.cvm.settle();

    // Assess
    for (const id of [LINUX_RUNNING, LINUX_STOPPED]) {
      expect(await describeOne(id)).toMatchObject({
        LatestOperationState: 'SUCCESS',
        LatestOperationRequestId: RequestId,
      });
      expectPassword(id, NEW);
    }
  });
});

describe('Action: ResetInstancesPassword — parameter errors', () => {
  it('refuses a call without InstanceIds, with an empty list or without Password with MissingParameter', async () => {
    // Prepare
    await start();

    // Act + Assess
    await expectTencentError(
      client.ResetInstancesPassword({ Password: NEW } as unknown as {
        InstanceIds: string[];
        Password: string;
      }),
      'MissingParameter',
    );
    await expectTencentError(
      client.ResetInstancesPassword({ InstanceIds: [], Password: NEW }),
      'MissingParameter',
    );
    await expectTencentError(
      client.ResetInstancesPassword({ InstanceIds: [LINUX_STOPPED] } as unknown as {
        InstanceIds: string[];
        Password: string;
      }),
      'MissingParameter',
    );
  });

  it('refuses more than 100 instances with InvalidParameterValue.LimitExceeded', async () => {
    // Prepare
    await start();
    const ids = Array.from({ length: 101 }, (_, i) => `ins-x${String(i).padStart(7, '0')}`);

    // Act + Assess
    await expectTencentError(
      client.ResetInstancesPassword({ InstanceIds: ids, Password: NEW }),
      'InvalidParameterValue.LimitExceeded',
    );
  });

  it('refuses a malformed instance ID with InvalidInstanceId.Malformed', async () => {
    // Prepare
    await start();

    // Act + Assess
    for (const bad of ['ins-1122', 'ins-ABCDEFGH', 'i-12345678', 'ins-123456789']) {
      await expectTencentError(
        client.ResetInstancesPassword({ InstanceIds: [LINUX_STOPPED, bad], Password: NEW }),
        'InvalidInstanceId.Malformed',
      );
    }
  });

  it('refuses a UserName longer than 64 characters with InvalidParameterValue.TooLong', async () => {
    // Prepare
    await start();

    // Act + Assess
    await expectTencentError(
      client.ResetInstancesPassword({
        InstanceIds: [LINUX_STOPPED],
        Password: NEW,
        UserName: 'u'.repeat(65),
      }),
      'InvalidParameterValue.TooLong',
    );
  });

  it('refuses an unknown instance, or one of another region, with InvalidInstanceId.NotFound', async () => {
    // Prepare
    await start();

    // Act + Assess
    await expectTencentError(
      client.ResetInstancesPassword({
        InstanceIds: [LINUX_STOPPED, 'ins-zzzzzzzz'],
        Password: NEW,
      }),
      'InvalidInstanceId.NotFound',
    );
    await expectTencentError(
      client.ResetInstancesPassword({ InstanceIds: [SHANGHAI], Password: NEW }),
      'InvalidInstanceId.NotFound',
    );
  });

  it('refuses an injected internal fault with InternalServerError and changes nothing', async () => {
    // Prepare
    await start({ faults: { errorRate: { ResetInstancesPassword: 1 } } });

    // Act
    await expectTencentError(
      client.ResetInstancesPassword({ InstanceIds: [LINUX_STOPPED], Password: NEW }),
      'InternalServerError',
    );

    // Assess
    expect(emulator.state.cvm.instance(LINUX_STOPPED)?.LatestOperation).toBeNull();
    expect(emulator.state.cvm.inFlight()).toBe(0);
  });
});

describe('Action: ResetInstancesPassword — instance states', () => {
  it('refuses a running instance without ForceStop with UnsupportedOperation.InstanceStateRunning', async () => {
    // Prepare
    await start();

    // Act + Assess
    await expectTencentError(
      client.ResetInstancesPassword({ InstanceIds: [LINUX_RUNNING], Password: NEW }),
      'UnsupportedOperation.InstanceStateRunning',
    );
    await expectTencentError(
      client.ResetInstancesPassword({
        InstanceIds: [LINUX_RUNNING],
        Password: NEW,
        ForceStop: false,
      }),
      'UnsupportedOperation.InstanceStateRunning',
    );
  });

  it('refuses an instance stopped in STOP_CHARGING mode with UnsupportedOperation.StoppedModeStopCharging', async () => {
    // Prepare
    await start();

    // Act + Assess
    await expectTencentError(
      client.ResetInstancesPassword({
        InstanceIds: [STOP_CHARGING],
        Password: NEW,
        ForceStop: true,
      }),
      'UnsupportedOperation.StoppedModeStopCharging',
    );
  });

  const cases: Array<[InstanceStateName, string]> = [
    ['PENDING', 'UnsupportedOperation.InstanceStatePending'],
    ['LAUNCH_FAILED', 'InvalidInstance.NotSupported'],
    ['STARTING', 'UnsupportedOperation.InstanceStateStarting'],
    ['STOPPING', 'UnsupportedOperation.InstanceStateStopping'],
    ['REBOOTING', 'UnsupportedOperation.InstanceStateRebooting'],
    ['SHUTDOWN', 'UnsupportedOperation.InstanceStateShutdown'],
    ['TERMINATING', 'UnsupportedOperation.InstanceStateTerminating'],
    ['ENTER_RESCUE_MODE', 'UnsupportedOperation.InstanceStateEnterRescueMode'],
    ['RESCUE_MODE', 'UnsupportedOperation.InstanceStateRescueMode'],
    ['EXIT_RESCUE_MODE', 'UnsupportedOperation.InstanceStateExitRescueMode'],
    ['ENTER_SERVICE_LIVE_MIGRATE', 'UnsupportedOperation.InstanceStateServiceLiveMigrate'],
    ['SERVICE_LIVE_MIGRATE', 'UnsupportedOperation.InstanceStateServiceLiveMigrate'],
    ['EXIT_SERVICE_LIVE_MIGRATE', 'UnsupportedOperation.InstanceStateServiceLiveMigrate'],
  ];

  it.each(cases)(
    'refuses an instance in state %s with %s, even with ForceStop',
    async (state, code) => {
      // Prepare
      await start();
      emulator.state.cvm.update(LINUX_STOPPED, { InstanceState: state });

      // Act + Assess
      await expectTencentError(
        client.ResetInstancesPassword({
          InstanceIds: [LINUX_STOPPED],
          Password: NEW,
          ForceStop: true,
        }),
        code,
      );
    },
  );

  it('refuses an instance with another operation in progress with OperationDenied.InstanceOperationInProgress', async () => {
    // Prepare
    await start();
    emulator.state.cvm.update(LINUX_STOPPED, {
      LatestOperation: 'ResetInstancesType',
      LatestOperationState: 'OPERATING',
    });

    // Act + Assess
    await expectTencentError(
      client.ResetInstancesPassword({ InstanceIds: [LINUX_STOPPED], Password: NEW }),
      'OperationDenied.InstanceOperationInProgress',
    );
  });

  it('refuses a second reset while the first is still running', async () => {
    // Prepare
    await start({ resetTiming: { stopped: [500, 500] } });
    await client.ResetInstancesPassword({ InstanceIds: [LINUX_STOPPED], Password: NEW });

    // Act + Assess
    await expectTencentError(
      client.ResetInstancesPassword({ InstanceIds: [LINUX_STOPPED], Password: 'Other-Fixture-9' }),
      'OperationDenied.InstanceOperationInProgress',
    );
    await emulator.state.cvm.settle();
    expectPassword(LINUX_STOPPED, NEW);
  });

  it('fails the whole batch for one bad instance and changes nothing', async () => {
    // Prepare
    await start();
    const before = [LINUX_STOPPED, UBUNTU_STOPPED, LINUX_RUNNING].map((id) => ({
      ...emulator.state.cvm.instance(id),
      passwords: undefined,
    }));

    // Act
    await expectTencentError(
      client.ResetInstancesPassword({
        InstanceIds: [LINUX_STOPPED, UBUNTU_STOPPED, LINUX_RUNNING],
        Password: NEW,
      }),
      'UnsupportedOperation.InstanceStateRunning',
    );

    // Assess
    const after = [LINUX_STOPPED, UBUNTU_STOPPED, LINUX_RUNNING].map((id) => ({
      ...emulator.state.cvm.instance(id),
      passwords: undefined,
    }));
    expect(after).toEqual(before);
    expect(emulator.state.cvm.inFlight()).toBe(0);
    expectPassword(LINUX_STOPPED, OLD);
    expectPassword(UBUNTU_STOPPED, OLD, 'ubuntu');
  });
});

describe('Action: ResetInstancesPassword — password complexity', () => {
  const accepted = async (instanceIds: string[], password: string, userName?: string) => {
    const response = await client.ResetInstancesPassword({
      InstanceIds: instanceIds,
      Password: password,
      ...(userName === undefined ? {} : { UserName: userName }),
    });
    await emulator.state.cvm.settle();
    return response.RequestId !== undefined;
  };
  const refused = (instanceIds: string[], password: string, userName?: string) =>
    expectTencentError(
      client.ResetInstancesPassword({
        InstanceIds: instanceIds,
        Password: password,
        ...(userName === undefined ? {} : { UserName: userName }),
      }),
      'InvalidParameterValue.InvalidPassword',
    );

  it('accepts Linux passwords of 8 and 16 characters', async () => {
    await start(FAST);
    expect(await accepted([LINUX_STOPPED], 'Abcdef1!')).toBe(true);
    expect(await accepted([LINUX_STOPPED], 'Abcdefgh1234567!')).toBe(true);
  });

  it('refuses Linux passwords of 7 and 17 characters', async () => {
    await start(FAST);
    await refused([LINUX_STOPPED], 'Abcde1!');
    await refused([LINUX_STOPPED], 'Abcdefgh12345678!');
  });

  it('refuses a Windows password of 11 characters and accepts 12', async () => {
    await start(FAST);
    await refused([WINDOWS_STOPPED], 'Abcdefg123!');
    expect(await accepted([WINDOWS_STOPPED], 'Abcdefgh123!')).toBe(true);
  });

  it('refuses a password of only two character classes', async () => {
    await start(FAST);
    await refused([LINUX_STOPPED], 'abcdefgh1234');
    await refused([LINUX_STOPPED], 'ABCDEFGH!@#$');
  });

  it('refuses a password that begins with a slash', async () => {
    await start(FAST);
    await refused([LINUX_STOPPED], '/Abcdef123');
  });

  it('refuses a backtick, a double quote, a backslash and a space', async () => {
    await start(FAST);
    for (const password of ['Abcdef12`x', 'Abcdef12"x', 'Abcdef12\\x', 'Abcdef12 x'])
      await refused([LINUX_STOPPED], password);
  });

  it('accepts every special character of the documented list', async () => {
    await start(FAST);
    for (const special of "()~!@#$%^&*-+=_|{}[]:;'<>,.?/") {
      expect(await accepted([LINUX_STOPPED], `Abcdef12${special}`)).toBe(true);
    }
  });

  it('refuses a Windows password containing the user name in any case', async () => {
    await start(FAST);
    await refused([WINDOWS_STOPPED], 'administrator1A!');
    await refused([WINDOWS_STOPPED], 'X1!ADMINISTRATOR');
    await refused([WINDOWS_STOPPED], 'AdMiNiStRaToR9#');
    await refused([WINDOWS_STOPPED], 'Xdeployuser1!', 'DeployUser');
  });

  it('allows a Linux password to contain the user name', async () => {
    await start(FAST);
    expect(await accepted([LINUX_STOPPED], 'Root-Pass-99')).toBe(true);
  });

  it('holds a batch mixing Linux and Windows to the Windows rule', async () => {
    // Prepare: 10 characters suit Linux alone but not a batch with a Windows instance.
    await start(FAST);
    await refused([LINUX_STOPPED, WINDOWS_STOPPED], 'Abcdef123!');
    await refused([LINUX_STOPPED, WINDOWS_NO_OSNAME], 'Abcdef123!');

    // Act
    const ok = await accepted([LINUX_STOPPED, WINDOWS_STOPPED], 'Abcdefgh123!');

    // Assess
    expect(ok).toBe(true);
    expectPassword(LINUX_STOPPED, 'Abcdefgh123!');
    expectPassword(WINDOWS_STOPPED, 'Abcdefgh123!');
  });
});

describe('Faults: failed resets', () => {
  it('ends FAILED with an error message and keeps the old password for an instance in failResetFor', async () => {
    // Prepare
    await start({ faults: { failResetFor: [LINUX_STOPPED] } });

    // Act
    const { RequestId } = await client.ResetInstancesPassword({
      InstanceIds: [LINUX_STOPPED, LINUX_STOPPED_2],
      Password: NEW,
    });
    await emulator.state.cvm.settle();

    // Assess
    const failed = await describeOne(LINUX_STOPPED);
    expect(failed).toMatchObject({
      LatestOperationState: 'FAILED',
      LatestOperationRequestId: RequestId,
    });
    expect(failed.LatestOperationErrorMsg).not.toBe('');
    expectPassword(LINUX_STOPPED, OLD);
    expect(await describeOne(LINUX_STOPPED_2)).toMatchObject({ LatestOperationState: 'SUCCESS' });
    expectPassword(LINUX_STOPPED_2, NEW);
  });

  it('reads the faults when the reset completes, not when it is called', async () => {
    // Prepare
    await start({ resetTiming: { stopped: [300, 300] } });
    await client.ResetInstancesPassword({ InstanceIds: [LINUX_STOPPED], Password: NEW });

    // Act
    emulator.state.faults = { resetFailureRate: 1 };
    await emulator.state.cvm.settle();

    // Assess
    expect(await describeOne(LINUX_STOPPED)).toMatchObject({ LatestOperationState: 'FAILED' });
    expectPassword(LINUX_STOPPED, OLD);
  });

  it('still brings a force-stopped instance back to RUNNING when its reset fails', async () => {
    // Prepare
    await start({ faults: { resetFailureRate: 1 } });

    // Act
    await client.ResetInstancesPassword({
      InstanceIds: [LINUX_RUNNING],
      Password: NEW,
      ForceStop: true,
    });
    await emulator.state.cvm.settle();

    // Assess
    expect(await describeOne(LINUX_RUNNING)).toMatchObject({
      InstanceState: 'RUNNING',
      LatestOperationState: 'FAILED',
    });
    expectPassword(LINUX_RUNNING, OLD);
  });
});

describe('Test hooks: CvmState', () => {
  it('externalOperation overwrites LatestOperation* with a fresh RequestId, as another actor would', async () => {
    // Prepare
    await start();
    const { RequestId } = await client.ResetInstancesPassword({
      InstanceIds: [LINUX_STOPPED],
      Password: NEW,
    });
    await emulator.state.cvm.settle();

    // Act
    emulator.state.cvm.externalOperation(LINUX_STOPPED, 'StartInstances');
    const during = await describeOne(LINUX_STOPPED);
    await emulator.state.cvm.settle();
    const after = await describeOne(LINUX_STOPPED);

    // Assess
    expect(during).toMatchObject({
      InstanceState: 'STARTING',
      LatestOperation: 'StartInstances',
      LatestOperationState: 'OPERATING',
    });
    expect(during.LatestOperationRequestId).not.toBe(RequestId);
    expect(during.LatestOperationRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(after).toMatchObject({
      InstanceState: 'RUNNING',
      LatestOperation: 'StartInstances',
      LatestOperationState: 'SUCCESS',
    });
  });

  it('externalOperation stops and reboots a running instance', async () => {
    // Prepare
    await start();

    // Act
    emulator.state.cvm.externalOperation(LINUX_RUNNING, 'RebootInstances');
    const rebooting = emulator.state.cvm.instance(LINUX_RUNNING)?.InstanceState;
    await emulator.state.cvm.settle();
    emulator.state.cvm.externalOperation(LINUX_RUNNING, 'StopInstances');
    const stopping = emulator.state.cvm.instance(LINUX_RUNNING)?.InstanceState;
    await emulator.state.cvm.settle();

    // Assess
    expect([rebooting, stopping]).toEqual(['REBOOTING', 'STOPPING']);
    expect(await describeOne(LINUX_RUNNING)).toMatchObject({
      InstanceState: 'STOPPED',
      StopChargingMode: 'KEEP_CHARGING',
      LatestOperation: 'StopInstances',
      LatestOperationState: 'SUCCESS',
    });
  });

  it('externalOperation throws on an instance that is OPERATING or in the wrong state', async () => {
    // Prepare
    await start();
    await client.ResetInstancesPassword({ InstanceIds: [LINUX_STOPPED], Password: NEW });

    // Act + Assess
    expect(() => emulator.state.cvm.externalOperation(LINUX_STOPPED, 'StartInstances')).toThrow(
      /OPERATING|already/,
    );
    expect(() => emulator.state.cvm.externalOperation(LINUX_STOPPED_2, 'StopInstances')).toThrow(
      /RUNNING/,
    );
    await emulator.state.cvm.settle();
  });

  it('settle resolves when an instance is removed mid-reset, and the reset just ends', async () => {
    // Prepare
    await start();
    await client.ResetInstancesPassword({
      InstanceIds: [LINUX_RUNNING],
      Password: NEW,
      ForceStop: true,
    });

    // Act
    emulator.state.cvm.removeInstance(LINUX_RUNNING);
    await emulator.state.cvm.settle();

    // Assess
    expect(emulator.state.cvm.instance(LINUX_RUNNING)).toBeUndefined();
    expect(emulator.state.cvm.inFlight()).toBe(0);
    expect((await client.DescribeInstances({ InstanceIds: [LINUX_RUNNING] })).TotalCount).toBe(0);
  });

  it('addInstance makes an instance visible to the API at once', async () => {
    // Prepare
    await start();

    // Act
    const added = emulator.state.cvm.addInstance({
      region: 'ap-guangzhou',
      OsName: UBUNTU,
      InstanceState: 'RUNNING',
    });

    // Assess
    expect(added.InstanceId).toMatch(/^ins-[a-z0-9]{8}$/);
    expect(await describeOne(added.InstanceId)).toMatchObject({
      OsName: UBUNTU,
      DefaultLoginUser: 'ubuntu',
    });
    expect(emulator.state.cvm.regions()).toEqual(['ap-guangzhou', 'ap-shanghai']);
    expect(emulator.state.cvm.instances('ap-shanghai').map((i) => i.InstanceId)).toEqual([
      SHANGHAI,
    ]);
  });

  it('settle resolves at once when nothing is in flight', async () => {
    await start();
    expect(emulator.state.cvm.inFlight()).toBe(0);
    await emulator.state.cvm.settle();
  });

  it('keeps the password out of the call log', async () => {
    // Prepare
    await start();

    // Act
    await client.ResetInstancesPassword({ InstanceIds: [LINUX_STOPPED], Password: NEW });

    // Assess
    expect(JSON.stringify(emulator.state.calls()).includes(NEW)).toBe(false);
    await emulator.state.cvm.settle();
  });
});
