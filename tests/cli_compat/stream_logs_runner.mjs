// Runs one check through the installed checkly CLI's own TestRunner with streamLogs on, as
// `checkly pw-test --stream-logs` does, and prints each event the CLI's reporters would get as a
// JSON line. Arguments: the CLI's dist directory, the check's payload (JSON).
import path from 'node:path'
import { pathToFileURL } from 'node:url'

const [dist, payloadJson] = process.argv.slice(2)
const load = (file) => import(pathToFileURL(path.join(dist, file)).href)
const { default: TestRunner } = await load('services/test-runner.js')
const { Events } = await load('services/abstract-check-runner.js')

const payload = JSON.parse(payloadJson)
const construct = {
  logicalId: payload.logicalId,
  name: payload.name,
  getSourceFile: () => 'logs.check.ts',
}
const bundle = { synthesize: () => payload }
const project = { project: { name: 'Streamed logs', logicalId: 'streamed-logs' }, data: {} }
const out = (event) => process.stdout.write(JSON.stringify(event) + '\n')

const runner = new TestRunner(
  process.env.CHECKLY_ACCOUNT_ID,
  project,
  [{ construct, bundle }],
  [],
  { type: 'PUBLIC', region: 'local' },
  240, // timeout, seconds
  false, // verbose
  false, // record
  null, // repoInfo
  null, // environment
  false, // updateSnapshots
  process.cwd(),
  null, // retry strategy
  true, // streamLogs
  false, // refreshCache
  false, // detach
)
runner.on(Events.STREAM_LOGS, (check, sequenceId, logs) =>
  out({ event: 'logs', logicalId: check.logicalId, logs }))
runner.on(Events.CHECK_SUCCESSFUL, (sequenceId, check, result) =>
  out({ event: 'result', logicalId: check.logicalId, hasFailures: result.hasFailures }))
runner.on(Events.CHECK_FAILED, (sequenceId, check, message) =>
  out({ event: 'failed', logicalId: check.logicalId, message }))
runner.on(Events.ERROR, (err) => {
  out({ event: 'error', message: String(err?.message ?? err) })
  process.exitCode = 1
})
await runner.run()
