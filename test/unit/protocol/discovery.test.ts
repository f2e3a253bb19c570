/** OS classification and reset eligibility (src/discovery/{os,eligibility}.ts). */
import { describe, expect, it } from 'vitest';
import type { InstanceInfo } from '../../../src/cloud/ports';
import {
  isExcluded,
  resetBlocker,
  SkipReason,
  stateReason,
} from '../../../src/discovery/eligibility';
import { classifyOs } from '../../../src/discovery/os';

function instance(patch: Partial<InstanceInfo> = {}): InstanceInfo {
  return {
    instanceId: 'ins-00000001',
    region: 'ap-guangzhou',
    name: 'web-1',
    state: 'STOPPED',
    osName: 'CentOS 7.9 64bit',
    imageId: 'img-00000001',
    tags: [{ key: 'rotation', value: 'enabled' }],
    stopChargingMode: 'KEEP_CHARGING',
    defaultLoginUser: 'root',
    latestOperation: 'ResetInstancesPassword',
    latestOperationState: 'SUCCESS',
    latestOperationRequestId: 'req-previous',
    latestOperationErrorMsg: '',
    ...patch,
  };
}

describe('classifyOs', () => {
  it.each([
    ['Windows Server 2022 DataCenter 64bit', 'windows', 'Administrator'],
    ['windows server 2016 数据中心版 64位中文版', 'windows', 'Administrator'],
    ['Ubuntu Server 22.04 LTS 64bit', 'linux', 'ubuntu'],
    ['UBUNTU 20.04', 'linux', 'ubuntu'],
    ['CentOS 7.9 64bit', 'linux', 'root'],
    ['Debian 12.0 64bit', 'linux', 'root'],
    ['TencentOS Server 3.1 (TK4)', 'linux', 'root'],
    ['OpenCloudOS 9', 'linux', 'root'],
  ])('classifies %s as %s with the %s account', (osName, os, userName) => {
    // Act / Assess
    expect(classifyOs(osName)).toEqual({ os, userName });
  });

  it('uses the image Platform only when OsName is empty', () => {
    // Act / Assess
    expect(classifyOs('', 'Windows')).toEqual({ os: 'windows', userName: 'Administrator' });
    expect(classifyOs('   ', 'Ubuntu')).toEqual({ os: 'linux', userName: 'ubuntu' });
    expect(classifyOs('CentOS 7.9 64bit', 'Windows')).toEqual({ os: 'linux', userName: 'root' });
  });

  it('cannot tell the OS when neither OsName nor Platform says anything', () => {
    // Act / Assess
    expect(classifyOs('')).toBeUndefined();
    expect(classifyOs(' ', '  ')).toBeUndefined();
  });
});

describe('resetBlocker', () => {
  it.each<[string, Partial<InstanceInfo>, boolean, string | undefined]>([
    ['a STOPPED instance', {}, false, undefined],
    ['a STOPPED instance with forceStop', {}, true, undefined],
    [
      'a RUNNING instance without forceStop',
      { state: 'RUNNING', stopChargingMode: 'NOT_APPLICABLE' },
      false,
      SkipReason.running,
    ],
    [
      'a RUNNING instance with forceStop',
      { state: 'RUNNING', stopChargingMode: 'NOT_APPLICABLE' },
      true,
      undefined,
    ],
    [
      'a STOPPED instance in STOP_CHARGING mode',
      { stopChargingMode: 'STOP_CHARGING' },
      true,
      SkipReason.stopCharging,
    ],
    [
      'an instance with an operation in progress',
      { latestOperation: 'StartInstances', latestOperationState: 'OPERATING' },
      true,
      SkipReason.operationInProgress,
    ],
    [
      'a RUNNING instance being rebooted',
      { state: 'RUNNING', latestOperationState: 'OPERATING' },
      true,
      SkipReason.operationInProgress,
    ],
    ['an isolated (SHUTDOWN) instance', { state: 'SHUTDOWN' }, true, stateReason('SHUTDOWN')],
    ['a STARTING instance', { state: 'STARTING' }, true, stateReason('STARTING')],
    ['a STOPPING instance', { state: 'STOPPING' }, true, stateReason('STOPPING')],
    ['a PENDING instance', { state: 'PENDING' }, true, stateReason('PENDING')],
    ['an instance in rescue mode', { state: 'RESCUE_MODE' }, true, stateReason('RESCUE_MODE')],
    ['a TERMINATING instance', { state: 'TERMINATING' }, true, stateReason('TERMINATING')],
    [
      'an instance whose last operation FAILED',
      { latestOperationState: 'FAILED' },
      false,
      undefined,
    ],
  ])('judges %s', (_name, patch, forceStop, expected) => {
    // Act / Assess
    expect(resetBlocker(instance(patch), forceStop)).toBe(expected);
  });

  it('words state reasons with the state', () => {
    // Act / Assess
    expect(stateReason('SHUTDOWN')).toBe('state-not-resettable:SHUTDOWN');
  });
});

describe('isExcluded', () => {
  it('excludes by tag key, whatever the value', () => {
    // Prepare
    const tagged = instance({
      tags: [
        { key: 'rotation', value: 'enabled' },
        { key: 'rotation-exclude', value: '' },
      ],
    });

    // Act / Assess
    expect(isExcluded(tagged, 'rotation-exclude')).toBe(true);
    expect(isExcluded(instance(), 'rotation-exclude')).toBe(false);
    expect(
      isExcluded(
        instance({ tags: [{ key: 'Rotation-Exclude', value: 'true' }] }),
        'rotation-exclude',
      ),
    ).toBe(false);
  });
});
