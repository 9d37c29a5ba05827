/** One step of the tour: a title, a one-line pitch, and the code that shows it. */
export interface Step {
  title: string;
  /** What the step shows, in one sentence. */
  pitch: string;
  run(): Promise<void>;
}
