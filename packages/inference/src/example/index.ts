/**
 * `@spider-bench/inference/example`: the example algorithm (a small network trained on
 * synthetic series from @spider-bench/synth), kept off the main entry so that the model
 * runner, the API and the workers never load the generator.
 */
export { EXAMPLE_CONFIG, EXAMPLE_CLASSES } from './example-config.ts'
export { trainExampleModel, DEFAULT_TRAINING, type ExampleTrainingOptions } from './train-example.ts'
export { writeExampleAlgorithm, type ExampleAlgorithmFiles } from './write-example-algorithm.ts'
