/** `tdcrowd simulate`: virtual joysticks and a measuring sink against any relay. */
export { runSimulation, type SimulationIo, type SimulationResult } from './simulate.js';
export { resolveOptions, OptionsError, DEFAULTS, type SimulateOptions, type RawOptions } from './options.js';
export { buildReport, sloValues, type SimulationReport, type SeriesPoint } from './report-json.js';
export { renderReportHtml } from './report-html.js';
export { parseSlo, evaluateSlo, SloSyntaxError, SLO_METRICS, type SloTerm, type SloResult } from './slo.js';
export { planReplay, readReplayFile, ReplayError, type ReplayPlan } from './replay.js';
export { PATTERNS, knobAt, motionParams, type PatternName } from './patterns.js';
export { AdmissionError } from './admission-probe.js';
