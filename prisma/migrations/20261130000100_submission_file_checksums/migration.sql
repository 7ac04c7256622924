-- AlterTable
ALTER TABLE "Submission" ADD COLUMN     "fileSha256" JSONB;
