export * from './image/types.ts'
export { readImage, readImageItk, imageBaseName, IMAGE_EXTENSIONS } from './image/read.ts'
export { readImageHeader } from './image/read-header.ts'
export type { ImageHeader, DataLocation, DataEncoding } from './image/header.ts'
export { checkImageHeader, type ImageLimits } from './image/check-header.ts'
export { writeImage } from './image/write.ts'
export { labelVolume, validateLabelImage, distinctLabels, type LabelVolume, type LabelArray } from './image/labels.ts'
export { checkPairGeometry } from './image/geometry.ts'
export {
  PROFILES,
  PROFILE_NAMES,
  profileMetrics,
  isProfileName,
  type ProfileName,
  type MetricSpec,
  type MetricOrder,
} from './profiles/profile.ts'
export { metricDefinitions, type MetricDefinition } from './profiles/metric-definitions.ts'
export { sequenceOf, SEQUENCES, type Sequence } from './sequence.ts'
export { structureClass, type StructureClass } from './structures.ts'
export type { SeriesResult, StructureResult, ResultDocument, Aggregates, MetricAggregate } from './result.ts'
export { scoreImages, type ScoreOptions } from './score-images.ts'
export { scoreSeriesFiles, type SeriesFiles } from './score-series-files.ts'
export { aggregateSeries, aggregateValues } from './aggregate.ts'
export { buildResultDocument } from './document.ts'
export { SCORER_VERSION } from './version.ts'
export { scoreDirectories, type ScoreDirectoriesOptions, type ScoreDirectoriesResult } from './score-directories.ts'
export { pairFiles, listImages, type SeriesPair } from './pair-files.ts'
