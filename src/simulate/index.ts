/** `tdcrowd simulate`: virtual joysticks and a measuring sink against any relay. */
export { runSimulation, type SimulationIo, type SimulationResult } from './simulate.js';
export { resolveOptions, DEFAULTS, type SimulateOptions, type RawOptions } from './options.js';
export { AdmissionError, OptionsError, ReplayError, SloSyntaxError } from './errors.js';
export { buildReport, type SimulationReport, type SeriesPoint } from './report-json.js';
export { judge, sloValues } from './verdict.js';
export { renderReportHtml } from './report-html.js';
export { parseSlo, evaluateSlo, SLO_METRICS, type SloTerm, type SloResult } from './slo.js';
export { planReplay, readReplayFile, type ReplayPlan } from './replay.js';
export { PATTERNS, knobAt, motionParams, type PatternName } from './patterns.js';
