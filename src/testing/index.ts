/**
 * cancelable-ts/testing — tools to test code that cancels: a clock the library runs on, a recording
 * token, an event recorder, slow and LLM-like streams, timing assertions and scenarios.
 *
 * @packageDocumentation
 */
export { ManualClock, flushMicrotasks, installClock, useClock } from './clock.js';
export type { InstalledClock, ManualClockOptions, ManualTimerHandle } from './clock.js';
export { MockCancelationToken } from './mock-token.js';
export type { CancelCall, MockCancelationTokenOptions } from './mock-token.js';
export { OperationRecorder } from './recorder.js';
export type { AttachOptions, EventMatcher, OperationRef, RecordedEvent, RecordedEventType } from './recorder.js';
export { createSlowStream } from './slow-stream.js';
export type { SlowStream, SlowStreamOptions } from './slow-stream.js';
export { assertCancelationWithin } from './assertions.js';
export type { AssertCancelationOptions, CancelationTiming } from './assertions.js';
export { CancelationScenario } from './scenario.js';
export type { ScenarioContext, ScenarioOptions, ScenarioResult } from './scenario.js';
export { simulateStream } from './simulate-stream.js';
export type {
  SimulateStreamConfig,
  SimulatedStream,
  SimulatedStreamEvent,
  SimulatedStreamEventType,
  StreamCompleteEvent,
  StreamDataEvent,
  StreamStallEvent,
} from './simulate-stream.js';
export { SeededRandom } from './random.js';
export type { Seed } from './random.js';
