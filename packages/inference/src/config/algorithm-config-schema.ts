import { Type, type Static } from '@sinclair/typebox'

/**
 * The algorithm config (`config.json` of an algorithm submission) as a JSON Schema, written
 * with TypeBox so the same object types the code and is served by the API
 * (`GET /api/v1/schemas/algorithm-config`). Axes are in ITK order (x, y, z) like image
 * spacing; model tensors are laid out [batch, channel, z, y, x] (x fastest, as in the files).
 */

function positive3(description: string) {
  const n = Type.Number({ exclusiveMinimum: 0 })
  return Type.Tuple([n, n, n], { description })
}

function integer3(description: string, minimum: number) {
  const n = Type.Integer({ minimum })
  return Type.Tuple([n, n, n], { description })
}

export const STRUCTURE_CLASSES = ['background', 'vertebra', 'disc', 'canal'] as const
export const INPUT_CHANNELS = ['image', 't1', 't2', 't2_SPACE'] as const
export const SUPERIOR_AXES = ['+x', '-x', '+y', '-y', '+z', '-z'] as const
export const EXECUTION_PROVIDERS = ['cuda', 'webgpu', 'cpu'] as const

/** What one output channel (or one label-map value) means: a SPIDER label, or a class to be split into instances. */
export const ChannelTargetSchema = Type.Union(
  [
    Type.Object(
      {
        label: Type.Integer({
          minimum: 0,
          maximum: 65535,
          description: 'SPIDER label value written as is (0 background, 1-99 vertebrae, 100 canal, 201- discs)',
        }),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        class: Type.Union(
          STRUCTURE_CLASSES.map((c) => Type.Literal(c)),
          {
            description:
              'semantic class; vertebra and disc voxels are split into connected components numbered from the bottom ' +
              '(vertebrae 1.., discs 201..), canal becomes 100',
          },
        ),
      },
      { additionalProperties: false },
    ),
  ],
  { $id: 'ChannelTarget' },
)

export const AlgorithmConfigSchema = Type.Object(
  {
    schemaVersion: Type.Literal(1),
    name: Type.Optional(Type.String({ maxLength: 200 })),
    input: Type.Object(
      {
        name: Type.Optional(Type.String({ description: "ONNX input name; default: the model's only input" })),
        channels: Type.Array(Type.Union(INPUT_CHANNELS.map((c) => Type.Literal(c))), {
          minItems: 1,
          maxItems: 8,
          description: '"image": the normalised image; "t1" | "t2" | "t2_SPACE": 1 where the series is of that sequence, else 0',
        }),
        spacing: Type.Union([positive3('target spacing in mm (x, y, z); the image is resampled to it (trilinear)'), Type.Null()], {
          description: 'null: run at the native spacing',
        }),
      },
      { additionalProperties: false },
    ),
    normalization: Type.Union(
      [
        Type.Object({ kind: Type.Literal('none') }, { additionalProperties: false }),
        Type.Object({ kind: Type.Literal('z-score') }, { additionalProperties: false }),
        Type.Object(
          {
            kind: Type.Literal('percentile-z-score'),
            lower: Type.Number({ minimum: 0, maximum: 100, description: 'lower clip percentile' }),
            upper: Type.Number({ minimum: 0, maximum: 100, description: 'upper clip percentile' }),
          },
          { additionalProperties: false },
        ),
      ],
      { description: 'intensity normalisation of the "image" channel, over the whole series' },
    ),
    slidingWindow: Type.Object(
      {
        patchSize: integer3('patch size in voxels (x, y, z) at the model spacing', 1),
        overlap: Type.Number({
          minimum: 0,
          maximum: 0.9,
          description: 'fraction of the patch shared by neighbouring patches (nnU-Net: 0.5)',
        }),
        blending: Type.Union([Type.Literal('gaussian'), Type.Literal('constant')], {
          description: 'gaussian: nnU-Net importance weighting',
        }),
        sigmaScale: Type.Optional(
          Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'Gaussian sigma as a fraction of the patch size (default 0.125)' }),
        ),
        border: Type.Optional(integer3('voxels at inner patch faces that get zero weight (x, y, z); default 0', 0)),
      },
      { additionalProperties: false },
    ),
    mirroring: Type.Optional(
      Type.Object(
        {
          axes: Type.Array(Type.Union([Type.Literal('x'), Type.Literal('y'), Type.Literal('z')]), {
            uniqueItems: true,
            maxItems: 3,
            description: 'test-time mirroring: outputs are averaged over all flips of these axes',
          }),
        },
        { additionalProperties: false },
      ),
    ),
    output: Type.Union([
      Type.Object(
        {
          kind: Type.Union([Type.Literal('logits'), Type.Literal('probabilities')]),
          name: Type.Optional(Type.String({ description: "ONNX output name; default: the model's first output" })),
          channels: Type.Array(ChannelTargetSchema, {
            minItems: 2,
            maxItems: 512,
            description: 'output channel i → target; the voxel gets the target of its arg-max channel',
          }),
        },
        { additionalProperties: false },
      ),
      Type.Object(
        {
          kind: Type.Literal('labels'),
          name: Type.Optional(Type.String()),
          values: Type.Optional(
            Type.Record(Type.String({ pattern: '^[0-9]+$' }), ChannelTargetSchema, {
              description: 'label-map value → target; values not listed are written as is',
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ]),
    postprocessing: Type.Optional(
      Type.Object(
        {
          connectivity: Type.Optional(
            Type.Union([Type.Literal(6), Type.Literal(26)], { description: 'neighbourhood of the connected components (default 6)' }),
          ),
          minComponentVoxels: Type.Optional(
            Type.Integer({
              minimum: 0,
              description: 'vertebra and disc components smaller than this (voxels at the model spacing) are dropped (default 0)',
            }),
          ),
          vertebraSplitRadius: Type.Optional(
            integer3(
              'erosion radius in voxels (x, y, z) at the model spacing: ' +
                'vertebrae that touch are split at the narrowest bridge between the cores that survive erosion ' +
                '(default 0: plain connected components)',
              0,
            ),
          ),
          superior: Type.Optional(
            Type.Union(
              SUPERIOR_AXES.map((a) => Type.Literal(a)),
              {
                description:
                  'the patient-space axis pointing up, used to number instances from the bottom ' +
                  '(default "+z": superior in LPS, as in DICOM/ITK)',
              },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    executionProviders: Type.Optional(
      Type.Array(Type.Union(EXECUTION_PROVIDERS.map((p) => Type.Literal(p))), {
        minItems: 1,
        uniqueItems: true,
        description: 'onnxruntime execution providers in order of preference (default ["cuda", "cpu"])',
      }),
    ),
  },
  { additionalProperties: false, $id: 'AlgorithmConfig', title: 'spider-bench algorithm config' },
)

export type AlgorithmConfig = Static<typeof AlgorithmConfigSchema>
export type ChannelTarget = Static<typeof ChannelTargetSchema>
export type StructureClass = (typeof STRUCTURE_CLASSES)[number]
export type InputChannel = (typeof INPUT_CHANNELS)[number]
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number]
