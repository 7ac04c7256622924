export * from './image/types.ts'
export { readImage, imageBaseName, IMAGE_EXTENSIONS } from './image/read.ts'
export { writeImage } from './image/write.ts'
