import { PERTURB_OPS_HELP, SEQUENCES, SIZES, synthesize, SynthOptionError, type Sequence, type SizeName } from '@spider-bench/synth'
import { parseCommandArgs, intOption, UsageError, type Command } from '../command.ts'

const HELP = `usage: spider-bench synth --out DIR [--studies N] [--seed S] [--size small|realistic]
                         [--sequences t1,t2,t2_SPACE] [--predictions NAME=SPEC ...] [--preview] [--force] [--threads N] [--quiet]

Generates synthetic SPIDER-like lumbar spine MRI series with reference masks:
  DIR/images/<study>_<seq>.mha     int16 images (T1, T2, T2-SPACE contrast)
  DIR/masks/<study>_<seq>.mha      uint8 masks: vertebrae 1..N from the bottom, partially visible
                                   vertebra 100+i, spinal canal 100, discs 200+i (201 lowest)
  DIR/overview.csv                 one row per series: study, name, sequence, split, sex, age, size, spacing
  DIR/predictions/NAME/<series>.mha  with --predictions: the masks changed by SPEC
  DIR/preview/<series>.png         with --preview: mid-sagittal slice, plain and with the mask overlay

options:
  --out DIR              output folder (created; must be empty unless --force)
  --studies N            number of studies (default 39: 97 series, like the SPIDER hidden test set)
  --seed S               random seed, 0..4294967295 (default 1); the same seed gives the same bytes
  --size NAME            realistic (default; SPIDER-like spacing and size) or small (about 8 x 64 x 64, for tests)
  --sequences LIST       comma-separated subset of t1,t2,t2_SPACE (default all; every study has t1 and t2,
                         about half of them also t2_SPACE)
  --predictions NAME=SPEC  repeatable; SPEC is a comma-separated list of OP[:ARG], applied left to right:
${PERTURB_OPS_HELP.map((l) => `                           ${l}`).join('\n')}
                         e.g. --predictions good=dilate:1,relabel --predictions bad=drop:disc,fp:3
  --preview              also write preview PNGs
  --force                write into a non-empty DIR (overwrites files of the same names)
  --threads N            worker threads (default: the number of cores for realistic, 1 for small)
  --quiet                no progress lines
  -h, --help             this help`

export const command: Command = {
  summary: 'generate synthetic SPIDER-like MRI series, masks and perturbed predictions',
  async run(argv) {
    const args = parseCommandArgs(argv, HELP, {
      out: { type: 'string' },
      studies: { type: 'string' },
      seed: { type: 'string' },
      size: { type: 'string' },
      sequences: { type: 'string' },
      predictions: { type: 'string', multiple: true },
      preview: { type: 'boolean' },
      force: { type: 'boolean' },
      threads: { type: 'string' },
      quiet: { type: 'boolean' },
    })
    if (!args) return 0
    const { values } = args
    if (!values.out) throw new UsageError('--out DIR is required (see --help)')
    const size = values.size ?? 'realistic'
    if (!(SIZES as readonly string[]).includes(size)) throw new UsageError(`--size expects ${SIZES.join(' or ')}, got "${size}"`)
    const sequences = values.sequences === undefined ? [...SEQUENCES] : values.sequences.split(',').map((s) => s.trim())
    for (const s of sequences) {
      if (!(SEQUENCES as readonly string[]).includes(s))
        throw new UsageError(`--sequences: unknown sequence "${s}" (expected a comma-separated subset of ${SEQUENCES.join(',')})`)
    }
    const predictions: Record<string, string> = {}
    for (const p of values.predictions ?? []) {
      const eq = p.indexOf('=')
      if (eq <= 0 || eq === p.length - 1) throw new UsageError(`--predictions expects NAME=SPEC, got "${p}"`)
      const name = p.slice(0, eq)
      if (name in predictions) throw new UsageError(`--predictions: the name "${name}" is given twice`)
      predictions[name] = p.slice(eq + 1)
    }
    const started = performance.now()
    try {
      const result = await synthesize({
        out: values.out,
        studies: intOption('studies', values.studies, 39),
        seed: intOption('seed', values.seed, 1),
        size: size as SizeName,
        sequences: sequences as Sequence[],
        predictions,
        preview: values.preview ?? false,
        force: values.force ?? false,
        threads: values.threads === undefined ? undefined : intOption('threads', values.threads, 1),
        onProgress: values.quiet ? undefined : ({ done, total, series }) => console.error(`synth: ${done}/${total} ${series}`),
      })
      const seconds = ((performance.now() - started) / 1000).toFixed(1)
      console.log(
        `wrote ${result.series.length} series to ${result.out} in ${seconds} s` +
          (result.predictions.length ? ` (predictions: ${result.predictions.join(', ')})` : ''),
      )
      return 0
    } catch (err) {
      if (err instanceof SynthOptionError) throw new UsageError(err.message)
      throw err
    }
  },
}
