import type { Attachment } from '@chat/contracts';

/** Image types every browser shows inline; others (HEIC, TIFF, SVG) are offered as files. */
const INLINE_IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif', 'image/bmp']);

export const isInlineImage = (file: Pick<Attachment, 'contentType'>) =>
  INLINE_IMAGE_TYPES.has(file.contentType.toLowerCase().split(';')[0]!.trim());

/** A short type label for a file card: "PDF", "ZIP", "TXT"; from the name's extension, else the type. */
export function fileTypeLabel(file: Pick<Attachment, 'name' | 'contentType'>): string {
  const ext = /\.([A-Za-z0-9]{1,5})$/.exec(file.name)?.[1];
  if (ext) return ext.toUpperCase();
  const sub = file.contentType.split('/')[1]?.split(/[;+.-]/)[0];
  return sub ? sub.toUpperCase().slice(0, 5) : 'FILE';
}
