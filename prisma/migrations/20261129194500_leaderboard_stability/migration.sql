-- AlterTable
ALTER TABLE "Phase" ADD COLUMN     "bootstrapSamples" INTEGER NOT NULL DEFAULT 1000,
ADD COLUMN     "significanceLevel" DOUBLE PRECISION NOT NULL DEFAULT 0.05;

-- AlterTable
ALTER TABLE "LeaderboardSnapshot" ADD COLUMN     "stability" JSONB;
