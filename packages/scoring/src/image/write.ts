import type { Image as ItkImage } from 'itk-wasm'
import { writeMha } from './mha-write.ts'
import type { Image3D } from './types.ts'

/**
 * Writes a 3D image; the format follows the extension (.mha, .nii.gz, .nrrd ...). MetaImage
 * (.mha) goes through the direct writer (mha-write.ts: no WebAssembly round trip, about 100 ms
 * less per file), everything else through itk-wasm.
 */
export async function writeImage(image: Image3D, file: string, options: { compress?: boolean } = {}): Promise<void> {
  if (file.toLowerCase().endsWith('.mha')) return writeMha(image, file, options)
  const itkImage: ItkImage = {
    imageType: { dimension: 3, componentType: image.componentType, pixelType: 'Scalar', components: 1 },
    name: 'image',
    origin: [...image.origin],
    spacing: [...image.spacing],
    direction: Float64Array.from(image.direction),
    size: [...image.size],
    metadata: new Map(),
    data: image.data,
  } as unknown as ItkImage
  // Loaded on first use so that importing this package stays cheap (see read.ts).
  const { writeImageNode } = await import('@itk-wasm/image-io')
  await writeImageNode(itkImage, file, { useCompression: options.compress ?? true })
}
