ALTER TABLE `Users` RENAME COLUMN IF EXISTS `email` TO `contact`;
