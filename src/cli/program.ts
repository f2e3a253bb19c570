/**
 * The operator CLI, `cvm-rotator <command>`: commands, flags and exit codes (docs/cli.md).
 * `run(argv, io)` does everything but touch the process, so tests run it in-process; main.ts is
 * the bin.
 */
import { Command, CommanderError, Option } from 'commander';
import { version } from '../../package.json';
import { isInputError } from '../errors';
import { emulator } from './commands/emulator';
import {
  DEFAULT_FUNCTION,
  DEFAULT_NAMESPACE,
  DEFAULT_QUALIFIER,
  type InvokeFlags,
  invoke,
} from './commands/invoke';
import { type RollbackFlags, rollback } from './commands/rollback';
import { plan, type RotateFlags, rotate } from './commands/rotation';
import { history, type ReadFlags, type ShowFlags, show } from './commands/secrets';
import { type CliIo, EXIT, type ExitCode } from './io';
import { inFlagTerms, SCF_ENDPOINT_VARIABLE, type SelectionFlags, UsageError } from './options';

const AFTER_HELP = `
Configuration: the function's own ROTATION_* variables and credentials
(TENCENTCLOUD_SECRET_ID/_SECRET_KEY/_SESSION_TOKEN, or SCF's TENCENTCLOUD_SECRETID/...),
validated the same way; flags override them. ${SCF_ENDPOINT_VARIABLE} points \`invoke\` elsewhere.

Exit codes: 0 done (all rotated, or nothing to do; plan without problems), 1 partial or failed,
2 usage or configuration error.

Examples:
  cvm-rotator plan
  cvm-rotator rotate --instance-ids ins-abcd1234,ins-efgh5678 --reason INC-1234
  cvm-rotator show ins-abcd1234 --reveal
  cvm-rotator invoke --function cvm-password-rotator-prod --region ap-guangzhou --instance-ids ins-abcd1234 --reason INC-1234
`;

/** The flags that select and shape a run; each becomes a key of the manual event. */
function selectionOptions(command: Command): Command {
  return command
    .option('--regions <list>', 'regions to scan, comma-separated (overrides ROTATION_REGIONS)')
    .option('--tags <k=v,k2>', 'tags every instance must carry (overrides ROTATION_TAGS)')
    .option('--instance-ids <list>', 'exactly these instances, comma-separated')
    .option('--reason <text>', 'why (recorded in the audit log), e.g. INC-1234')
    .option('--force-stop', 'also reset RUNNING instances: they are shut down (forced if needed)')
    .addOption(
      new Option('--scope <scope>', 'one password per OS group, or per instance').choices([
        'group',
        'instance',
      ]),
    );
}

function endpointOption(command: Command, what: string): Command {
  return command.option('--endpoint <url>', `base URL of ${what}, e.g. http://127.0.0.1:9000`);
}

function build(io: CliIo, done: (code: ExitCode) => void, setRegionFlag: (flag: string) => void) {
  const program = new Command('cvm-rotator')
    .description('Rotate, inspect and invoke the CVM password rotator by hand.')
    .version(version, '-V, --version')
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .exitOverride()
    .enablePositionalOptions()
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', AFTER_HELP);

  endpointOption(
    selectionOptions(
      program
        .command('plan')
        .description('dry run: what a rotation would do, and why (nothing is changed)'),
    ),
    'CVM and SSM (sets ROTATION_CVM_ENDPOINT and ROTATION_SSM_ENDPOINT)',
  )
    .option('--json', 'print the report as JSON')
    .allowExcessArguments(false)
    .action(async (flags: SelectionFlags) => done(await plan(flags, io)));

  endpointOption(
    selectionOptions(
      program
        .command('rotate')
        .description(
          'rotate now, with the function code: --instance-ids for an incident, --all for the fleet',
        ),
    ),
    'CVM and SSM (sets ROTATION_CVM_ENDPOINT and ROTATION_SSM_ENDPOINT)',
  )
    .option(
      '--all',
      'rotate every instance ROTATION_TAGS/--tags selects (required without --instance-ids)',
    )
    .option('--json', 'print the report as JSON (the audit log goes to stderr)')
    .allowExcessArguments(false)
    .action(async (flags: RotateFlags) => done(await rotate(flags, io)));

  endpointOption(
    program
      .command('show')
      .description("an instance's current secret: version, status, user, rotated at")
      .argument('<instanceId>', 'the CVM instance, e.g. ins-abcd1234')
      .option('--region <region>', 'look only here (default: every region of ROTATION_REGIONS)')
      .option('--reveal', 'also print the password (stdout), with a warning on stderr')
      .option('--version-id <id>', 'show this version instead of the newest (see history)')
      .option('--json', 'print JSON'),
    'SSM (sets ROTATION_SSM_ENDPOINT)',
  )
    .allowExcessArguments(false)
    .action(async (instanceId: string, flags: ShowFlags) => {
      setRegionFlag('--region');
      done(await show(instanceId, flags, io));
    });

  endpointOption(
    program
      .command('history')
      .description("the versions kept in an instance's secret, newest first (never passwords)")
      .argument('<instanceId>', 'the CVM instance, e.g. ins-abcd1234')
      .option('--region <region>', 'look only here (default: every region of ROTATION_REGIONS)')
      .option('--json', 'print JSON'),
    'SSM (sets ROTATION_SSM_ENDPOINT)',
  )
    .allowExcessArguments(false)
    .action(async (instanceId: string, flags: ReadFlags) => {
      setRegionFlag('--region');
      done(await history(instanceId, flags, io));
    });

  endpointOption(
    program
      .command('rollback')
      .description(
        'put an older stored password back on the instance (same protocol: stored, reset, verified, promoted)',
      )
      .argument('<instanceId>', 'the CVM instance, e.g. ins-abcd1234')
      .option(
        '--version-id <id>',
        'the version to roll back to (default: the previous verified one)',
      )
      .option('--region <region>', 'look only here (default: every region of ROTATION_REGIONS)')
      .option('--reason <text>', 'why (recorded in the audit log)')
      .option(
        '--force-stop',
        'the instance is RUNNING: shut it down (forced if needed) to reset it',
      )
      .option('--json', 'print the report as JSON'),
    'CVM and SSM (sets ROTATION_CVM_ENDPOINT and ROTATION_SSM_ENDPOINT)',
  )
    .allowExcessArguments(false)
    .action(async (instanceId: string, flags: RollbackFlags) => {
      setRegionFlag('--region');
      done(await rollback(instanceId, flags, io));
    });

  endpointOption(
    selectionOptions(
      program
        .command('invoke')
        .description(
          'ask the deployed function to rotate (SCF Invoke, asynchronous): needs only scf:InvokeFunction',
        ),
    ),
    `the SCF API (overrides ${SCF_ENDPOINT_VARIABLE})`,
  )
    .option(
      '--function <name>',
      'the deployed function (serverless.yml: <name>-<stage>)',
      DEFAULT_FUNCTION,
    )
    .option('--namespace <ns>', 'its namespace', DEFAULT_NAMESPACE)
    .option(
      '--qualifier <q>',
      'version or alias; $DEFAULT is what the timer invokes',
      DEFAULT_QUALIFIER,
    )
    .option('--region <region>', 'the region of the function (default TENCENTCLOUD_REGION)')
    .option('--dry-run', 'ask for a dry run')
    .option(
      '--all',
      'the whole fleet the function is configured for (required without --instance-ids or --dry-run)',
    )
    .option('--json', 'print JSON')
    .allowExcessArguments(false)
    .action(async (flags: InvokeFlags) => done(await invoke(flags, io)));

  program
    .command('emulator')
    .description(
      `start the local emulator (flags of npm run emulator; --help lists them) with the handler deployed as SCF function ${DEFAULT_FUNCTION}`,
    )
    .argument('[flags...]', 'the emulator flags, passed through')
    .helpOption(false)
    .allowUnknownOption()
    .passThroughOptions()
    .action(async (args: string[]) => done(await emulator(args, io.env)));

  return program;
}

/** Prints a failed command's problems and returns its exit code. */
function report(error: unknown, io: CliIo, regionFlag: string): ExitCode {
  if (error instanceof CommanderError) {
    // Commander has printed the message (or the help, or the version) already.
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (error instanceof UsageError) {
    for (const problem of error.problems) io.stderr.write(`cvm-rotator: ${problem}\n`);
    io.stderr.write('(add --help for usage)\n');
    return EXIT.usage;
  }
  if (isInputError(error)) {
    const what = error.name === 'EventError' ? 'invalid flags' : 'invalid configuration';
    io.stderr.write(`cvm-rotator: ${what}:\n`);
    for (const problem of error.problems) {
      io.stderr.write(`  - ${inFlagTerms(problem, regionFlag)}\n`);
    }
    return EXIT.usage;
  }
  // Cloud errors carry Tencent's code and RequestId, never a request parameter (src/errors.ts).
  io.stderr.write(`cvm-rotator: ${error instanceof Error ? error.message : String(error)}\n`);
  return EXIT.failed;
}

/** Runs one command line (without `node` and the script) and resolves to its exit code. */
export async function run(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  let code: ExitCode = EXIT.ok;
  let regionFlag = '--regions';
  const program = build(
    io,
    (result) => {
      code = result;
    },
    (flag) => {
      regionFlag = flag;
    },
  );
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    return report(error, io, regionFlag);
  }
  return code;
}
